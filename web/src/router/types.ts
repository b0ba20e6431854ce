import 'vue-router';

import type { Permission } from '@/utils/permission';

/** Left-menu groups, in the order the manual lists them. */
export type MenuGroup = 'recordingArea' | 'offsite' | 'caseManagement' | 'system';

declare module 'vue-router' {
  interface RouteMeta {
    /** Page title, also the menu label. */
    title?: string;
    /** Pages such as login that need no logged-in user. */
    isPublic?: boolean;
    permission?: Permission;
    menuGroup?: MenuGroup;
  }
}
