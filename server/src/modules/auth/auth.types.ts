export const roles = ['officer', 'sysadmin', 'secadmin', 'auditor'] as const;
export type Role = (typeof roles)[number];

/** The three admin roles that 三员分立 keeps apart: no account may have all of them. */
export const adminRoles: readonly Role[] = ['sysadmin', 'secadmin', 'auditor'];

/** Reason the user must change the password before using anything else. */
export type PasswordChangeReason = 'initial' | 'expired';

/** The logged-in user as routes and services see it. */
export interface AuthUser {
  id: number;
  username: string;
  displayName: string;
  roles: Role[];
  departmentName: string | null;
  /** Set when the password is the default one or has expired; the API then only allows changing it. */
  passwordChangeReason: PasswordChangeReason | null;
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

/** Returns whether the role list contains every admin role, which 三员分立 forbids. */
export function holdsAllAdminRoles(list: readonly Role[]): boolean {
  return adminRoles.every((role) => list.includes(role));
}
