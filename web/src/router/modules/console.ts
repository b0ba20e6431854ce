import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const consoleRoutes: RouteRecordRaw[] = [
  {
    path: 'console',
    name: 'console',
    component: () => import('@/views/console/index.vue'),
    meta: { title: t.menu.console, permission: 'case:record:start', menuGroup: 'recordingArea' },
  },
];
