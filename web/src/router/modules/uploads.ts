import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const uploadRoutes: RouteRecordRaw[] = [
  {
    path: 'offsite/upload',
    name: 'offsite-upload',
    component: () => import('@/views/offsite/upload/index.vue'),
    meta: { title: t.uploads.menuOffsite, permission: 'case:record:start', menuGroup: 'offsite' },
  },
  {
    path: 'cases/dossier',
    name: 'case-dossier',
    component: () => import('@/views/cases/dossier/index.vue'),
    meta: { title: t.uploads.menuDossier, permission: 'case:recording:view', menuGroup: 'caseManagement' },
  },
];
