import type { RoleCode } from './auth';
import type { Page } from './cases';
import { request } from './client';

export interface DepartmentNode {
  id: number;
  name: string;
  parentId: number | null;
  children: DepartmentNode[];
}

export type UserStatus = 'active' | 'disabled';

export interface ManagedUser {
  id: number;
  username: string;
  displayName: string;
  departmentId: number | null;
  departmentName: string | null;
  roles: RoleCode[];
  /** 工号, matched to the 承办人工号 of 大统一2.0 cases; null when not set. */
  employeeNo: string | null;
  status: UserStatus;
  isLocked: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

export interface UserListQuery {
  displayName?: string;
  username?: string;
  departmentId?: number;
  status?: UserStatus | '';
  page: number;
  pageSize: number;
}

export interface UserInput {
  username: string;
  displayName: string;
  departmentId: number | null;
  /** Only a 安全管理员 (or any admin with separation of duties off) may give roles other than 办案人员. */
  roles?: RoleCode[];
  employeeNo?: string | null;
}

export function listDepartments(): Promise<DepartmentNode[]> {
  return request('/api/departments');
}

export function createDepartment(name: string, parentId: number | null): Promise<{ id: number }> {
  return request('/api/departments', { method: 'POST', body: { name, parentId } });
}

export function updateDepartment(id: number, name: string, parentId: number | null): Promise<void> {
  return request(`/api/departments/${id}`, { method: 'PUT', body: { name, parentId } });
}

/** A page of users, with the caller's rights: basic data (系统管理员) and roles and passwords (安全管理员). */
export interface UserPage extends Page<ManagedUser> {
  canManageBasicData: boolean;
  canManageSecurity: boolean;
}

export function listUsers(query: UserListQuery): Promise<UserPage> {
  return request('/api/users', { query: { ...query } });
}

export function createUser(input: UserInput): Promise<ManagedUser> {
  return request('/api/users', { method: 'POST', body: input });
}

export function updateUser(id: number, displayName: string, departmentId: number | null, employeeNo: string | null): Promise<ManagedUser> {
  return request(`/api/users/${id}`, { method: 'PUT', body: { displayName, departmentId, employeeNo } });
}

export function setUserStatus(id: number, status: UserStatus): Promise<ManagedUser> {
  return request(`/api/users/${id}/status`, { method: 'POST', body: { status } });
}

export function setUserRoles(id: number, roles: RoleCode[]): Promise<ManagedUser> {
  return request(`/api/users/${id}/roles`, { method: 'PUT', body: { roles } });
}

export function resetUserPassword(id: number): Promise<void> {
  return request(`/api/users/${id}/password-reset`, { method: 'POST' });
}

export function deleteUser(id: number): Promise<void> {
  return request(`/api/users/${id}`, { method: 'DELETE' });
}
