import 'element-plus/dist/index.css';
import './styles/index.css';

import ElementPlus, { ElMessage } from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import { createPinia } from 'pinia';
import { createApp } from 'vue';

import { ApiError, describeError, setUnauthorizedHandler } from '@/api/client';
import { t } from '@/locales';
import { router } from '@/router';
import { useAuthStore } from '@/stores/auth';

import App from './App.vue';

const app = createApp(App);
const pinia = createPinia();

app.use(pinia);
app.use(router);
app.use(ElementPlus, { locale: zhCn });

// A 401 after login means the server ended the login session (idle timeout, logout elsewhere, or the
// room PC's session ending with 结束办案), so the user goes back to the login page.
setUnauthorizedHandler(() => {
  const auth = useAuthStore();
  const wasLoggedIn = auth.isLoggedIn;
  auth.clear();

  const current = router.currentRoute.value;
  if (!wasLoggedIn || current.meta.isPublic) return;

  ElMessage.warning(t.errors.sessionExpired);
  void router.push({ name: 'login', query: { redirect: current.fullPath } });
});

// The client already showed ApiErrors as messages. Anything else is a bug, logged to the console.
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError) {
    event.preventDefault();
    return;
  }
  console.error(event.reason);
});

// A lazy page that fails to load (server restarted with a new build, network cut) shows a message.
router.onError((error) => {
  ElMessage.error(describeError(error));
});

app.mount('#app');
