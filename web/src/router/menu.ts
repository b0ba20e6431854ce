import { Folder, Setting, UploadFilled, VideoCamera } from '@element-plus/icons-vue';
import type { Component } from 'vue';
import type { RouteRecordRaw } from 'vue-router';

import { t } from '@/locales';
import type { Permission } from '@/utils/permission';

import { caseAccessRoutes } from './modules/case-access';
import { auditRoutes } from './modules/audit';
import { caseRoutes } from './modules/cases';
import { consoleRoutes } from './modules/console';
import { systemRoutes } from './modules/system';
import { userRoutes } from './modules/users';
import { uploadRoutes } from './modules/uploads';
import type { MenuGroup } from './types';

export interface MenuItem {
  path: string;
  title: string;
  permission?: Permission;
}

export interface MenuSection {
  key: MenuGroup;
  title: string;
  icon: Component;
  items: MenuItem[];
}

const groupHeaders: { key: MenuGroup; title: string; icon: Component }[] = [
  { key: 'recordingArea', title: t.menu.recordingArea, icon: VideoCamera },
  { key: 'offsite', title: t.uploads.menuOffsiteGroup, icon: UploadFilled },
  { key: 'caseManagement', title: t.menu.caseManagement, icon: Folder },
  { key: 'system', title: t.menu.system, icon: Setting },
];

function toMenuItems(routes: RouteRecordRaw[], group: MenuGroup): MenuItem[] {
  return routes
    .filter((route) => route.meta?.menuGroup === group)
    .map((route) => ({ path: `/${route.path}`, title: route.meta?.title ?? '', permission: route.meta?.permission }));
}

/** Builds the left menu from the routes, keeping only the items the check allows and non-empty groups. */
export function buildMenu(canUse: (permission: Permission) => boolean): MenuSection[] {
  const routes = [...consoleRoutes, ...caseRoutes, ...systemRoutes, ...userRoutes, ...caseAccessRoutes, ...uploadRoutes, ...auditRoutes];

  return groupHeaders
    .map((header) => ({
      ...header,
      items: toMenuItems(routes, header.key).filter((item) => !item.permission || canUse(item.permission)),
    }))
    .filter((section) => section.items.length > 0);
}
