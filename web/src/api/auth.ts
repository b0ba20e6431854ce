import { request } from './client';

export type RoleCode = 'officer' | 'sysadmin' | 'secadmin' | 'auditor';

export interface User {
  id: number;
  username: string;
  displayName: string;
  roles: RoleCode[];
  departmentName: string | null;
  /** Set while the password is the default one (initial) or too old (expired): only 修改密码 is allowed. */
  passwordChangeReason: 'initial' | 'expired' | null;
}

export interface RoomRef {
  id: number;
  name: string;
}

export interface Me {
  user: User;
  csrfToken: string;
  clientIp: string;
  /** The enabled room whose 房间IP is the caller's IP, so the caller is that room's PC. */
  consoleRoom: RoomRef | null;
  passwordPolicy: { minLength: number; isInitialPasswordDefault: boolean };
}

export function login(username: string, password: string): Promise<{ user: User; csrfToken: string }> {
  return request('/api/auth/login', { method: 'POST', body: { username, password } });
}

export function logout(): Promise<void> {
  return request('/api/auth/logout', { method: 'POST', isSilent: true });
}

/** Fetches the logged-in user. The 401 for "not logged in" is left to the caller, without a toast. */
export function fetchMe(): Promise<Me> {
  return request('/api/auth/me', { isSilent: true });
}

export function changePassword(oldPassword: string, newPassword: string): Promise<{ user: User }> {
  return request('/api/auth/password', { method: 'POST', body: { oldPassword, newPassword } });
}
