import { ElMessage } from 'element-plus';
import { createRouter, createWebHistory } from 'vue-router';

import { describeError } from '@/api/client';
import { t } from '@/locales';
import { useAuthStore } from '@/stores/auth';

import { auditRoutes } from './modules/audit';
import { caseRoutes } from './modules/cases';
import { caseAccessRoutes } from './modules/case-access';
import { consoleRoutes } from './modules/console';
import { systemRoutes } from './modules/system';
import { userRoutes } from './modules/users';
import { uploadRoutes } from './modules/uploads';
import './types';

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    {
      path: '/login',
      name: 'login',
      component: () => import('@/views/login/index.vue'),
      meta: { title: t.login.title, isPublic: true },
    },
    {
      path: '/password',
      name: 'change-password',
      component: () => import('@/views/password/index.vue'),
      meta: { title: t.password.title },
    },
    {
      path: '/',
      component: () => import('@/layouts/BasicLayout.vue'),
      redirect: () => useAuthStore().homePath,
      children: [
        ...consoleRoutes,
        ...caseRoutes,
        ...systemRoutes,
        ...userRoutes,
        ...caseAccessRoutes,
        ...uploadRoutes,
        ...auditRoutes,
        {
          path: 'forbidden',
          name: 'forbidden',
          component: () => import('@/views/error/Forbidden.vue'),
          meta: { title: t.errors.forbiddenTitle },
        },
      ],
    },
    {
      path: '/:pathMatch(.*)*',
      name: 'not-found',
      component: () => import('@/views/error/NotFound.vue'),
      meta: { title: t.errors.notFoundTitle, isPublic: true },
    },
  ],
});

/** Returns the redirect target from the login URL only when it is a path inside this app. */
export function readSafeRedirect(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/login')) return null;
  return value;
}

router.beforeEach(async (to) => {
  if (to.meta.isPublic) return true;

  const auth = useAuthStore();
  let isLoggedIn: boolean;
  try {
    isLoggedIn = await auth.ensureLoaded();
  } catch (error) {
    ElMessage.error(describeError(error));
    return { name: 'login', query: { redirect: to.fullPath } };
  }

  if (!isLoggedIn) {
    // Opening the bare address keeps no redirect, so the login page picks the home page for this PC.
    const isHomeRequest = to.fullPath === '/' || to.redirectedFrom?.fullPath === '/';
    return { name: 'login', query: isHomeRequest ? {} : { redirect: to.fullPath } };
  }

  // The server rejects every other API call until a default or expired password is replaced.
  if (auth.mustChangePassword && to.name !== 'change-password') return { name: 'change-password', query: { redirect: to.fullPath } };
  if (to.meta.permission && !auth.can(to.meta.permission)) return { name: 'forbidden' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? t.app.pageTitle(to.meta.title) : t.app.systemName;
});
