import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const auditRoutes: RouteRecordRaw[] = [
  {
    path: 'system/audit',
    name: 'system-audit',
    component: () => import('@/views/system/audit/list.vue'),
    meta: { title: t.audit.menu, permission: 'system:audit:view', menuGroup: 'system' },
  },
];
