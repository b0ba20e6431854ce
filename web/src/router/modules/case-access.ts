import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const caseAccessRoutes: RouteRecordRaw[] = [
  {
    path: 'recording/grants',
    name: 'case-grants',
    component: () => import('@/views/recording-area/grants/list.vue'),
    meta: { title: t.caseAccess.menuGrants, permission: 'case:grant', menuGroup: 'recordingArea' },
  },
  {
    path: 'recording/active',
    name: 'active-sessions',
    component: () => import('@/views/recording-area/active/list.vue'),
    meta: { title: t.caseAccess.menuActive, permission: 'case:record:start', menuGroup: 'recordingArea' },
  },
  {
    path: 'cases/recorded',
    name: 'recorded-cases',
    component: () => import('@/views/cases/recorded/list.vue'),
    meta: { title: t.caseAccess.menuRecorded, permission: 'case:grant', menuGroup: 'caseManagement' },
  },
  {
    path: 'cases/backfill',
    name: 'case-backfill',
    component: () => import('@/views/cases/backfill/index.vue'),
    meta: { title: t.caseAccess.menuBackfill, permission: 'case:admin', menuGroup: 'caseManagement' },
  },
  {
    path: 'cases/transfer',
    name: 'case-transfer',
    component: () => import('@/views/cases/transfer/list.vue'),
    meta: { title: t.caseAccess.menuTransfer, permission: 'case:admin', menuGroup: 'caseManagement' },
  },
];
