import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const userRoutes: RouteRecordRaw[] = [
  {
    path: 'system/users',
    name: 'system-users',
    component: () => import('@/views/system/users/list.vue'),
    meta: { title: t.users.title, permission: 'system:user:manage', menuGroup: 'system' },
  },
];
