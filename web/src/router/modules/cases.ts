import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const caseRoutes: RouteRecordRaw[] = [
  {
    path: 'cases/recordings',
    name: 'case-recordings',
    component: () => import('@/views/cases/recordings/list.vue'),
    meta: { title: t.menu.recordings, permission: 'case:recording:view', menuGroup: 'caseManagement' },
  },
  {
    path: 'cases/self-built',
    name: 'case-self-built',
    component: () => import('@/views/cases/self-built/list.vue'),
    meta: { title: t.menu.selfBuilt, permission: 'case:self-built:create', menuGroup: 'caseManagement' },
  },
];
