import type { RoleCode } from '@/api/auth';

/** Permission codes the UI checks. The server checks every call again, so these only shape menus and routes. */
export type Permission =
  | 'case:record:start'
  | 'case:recording:view'
  | 'case:self-built:create'
  | 'system:room:manage'
  | 'system:user:manage'
  | 'case:grant'
  | 'case:admin'
  | 'system:audit:view'
  | 'system:delivery:manage'
  | 'system:unified:manage';

const rolePermissions: Record<RoleCode, readonly Permission[]> = {
  officer: ['case:record:start', 'case:recording:view', 'case:self-built:create', 'case:grant'],
  sysadmin: ['case:record:start', 'case:recording:view', 'case:self-built:create', 'system:room:manage', 'system:user:manage', 'case:admin', 'system:unified:manage', 'system:delivery:manage'],
  secadmin: ['case:recording:view', 'system:user:manage'],
  auditor: ['case:recording:view', 'system:audit:view'],
};

/** Returns whether any of the roles grants the permission. */
export function hasPermission(roles: readonly RoleCode[], permission: Permission): boolean {
  return roles.some((role) => rolePermissions[role]?.includes(permission) ?? false);
}
