import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';

export const systemRoutes: RouteRecordRaw[] = [
  {
    path: 'system/rooms',
    name: 'system-rooms',
    component: () => import('@/views/system/rooms/list.vue'),
    meta: { title: t.menu.rooms, permission: 'system:room:manage', menuGroup: 'system' },
  },
  {
    path: 'system/unified-sync',
    name: 'system-unified-sync',
    component: () => import('@/views/system/unified/index.vue'),
    meta: { title: t.menu.unifiedSync, permission: 'system:unified:manage', menuGroup: 'system' },
  },
  {
    path: 'system/deliveries',
    name: 'system-deliveries',
    component: () => import('@/views/system/deliveries/list.vue'),
    meta: { title: t.menu.deliveries, permission: 'system:delivery:manage', menuGroup: 'system' },
  },
];
