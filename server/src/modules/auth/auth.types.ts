export const roles = ['officer', 'sysadmin', 'secadmin', 'auditor'] as const;
export type Role = (typeof roles)[number];

/** The logged-in user as routes and services see it. */
export interface AuthUser {
  id: number;
  username: string;
  displayName: string;
  roles: Role[];
  departmentName: string | null;
}

export function hasRole(user: AuthUser, role: Role): boolean {
  return user.roles.includes(role);
}

/** Admin roles that may see every case's recordings (the case-level policy is refined with grants later). */
export function isCaseAdmin(user: AuthUser): boolean {
  return hasRole(user, 'sysadmin');
}

export function parseRoles(text: string): Role[] {
  return text
    .split(',')
    .map((role) => role.trim())
    .filter((role): role is Role => (roles as readonly string[]).includes(role));
}
