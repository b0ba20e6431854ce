import type { FormItemRule } from 'element-plus';

import type { RoleCode } from '@/api/auth';
import type { DepartmentNode, ManagedUser } from '@/api/users';
import { t } from '@/locales';

export interface UserForm {
  username: string;
  displayName: string;
  departmentId: number | null;
  roles: RoleCode[];
  /** 工号 in 大统一2.0; empty when not set. */
  employeeNo: string;
}

export const roleOptions: { value: RoleCode; label: string }[] = [
  { value: 'officer', label: t.roles.officer },
  { value: 'sysadmin', label: t.roles.sysadmin },
  { value: 'secadmin', label: t.roles.secadmin },
  { value: 'auditor', label: t.roles.auditor },
];

const adminRoles: RoleCode[] = ['sysadmin', 'secadmin', 'auditor'];

/** Returns whether the roles include all three admin roles, which 三员分立 forbids. */
export function hasAllAdminRoles(roles: readonly RoleCode[]): boolean {
  return adminRoles.every((role) => roles.includes(role));
}

export function describeRoles(roles: readonly RoleCode[]): string {
  return roles.map((role) => t.roles[role] ?? role).join('、');
}

export function createEmptyForm(departmentId: number | null): UserForm {
  return { username: '', displayName: '', departmentId, roles: ['officer'], employeeNo: '' };
}

export function toForm(user: ManagedUser): UserForm {
  return { username: user.username, displayName: user.displayName, departmentId: user.departmentId, roles: [...user.roles], employeeNo: user.employeeNo ?? '' };
}

// Same rule as the server: letters, digits, underscore, dot and hyphen, 2 to 32 characters.
const usernamePattern = /^[A-Za-z0-9_.-]{2,32}$/;

export const userRules: Record<string, FormItemRule[]> = {
  username: [
    { required: true, whitespace: true, message: t.users.usernameRequired, trigger: 'blur' },
    { pattern: usernamePattern, message: t.users.usernameInvalid, trigger: 'blur' },
  ],
  displayName: [
    { required: true, whitespace: true, message: t.users.displayNameRequired, trigger: 'blur' },
    { max: 50, message: t.users.displayNameTooLong, trigger: 'blur' },
  ],
  // Spaces around the 工号 are allowed here because submit trims them, as the server does.
  employeeNo: [{ pattern: /^\s*[0-9A-Za-z_-]{0,32}\s*$/, message: t.users.employeeNoInvalid, trigger: 'blur' }],
  roles: [
    { type: 'array', required: true, min: 1, message: t.users.rolesRequired, trigger: 'change' },
    {
      validator: (_rule, value: RoleCode[], callback) => callback(hasAllAdminRoles(value) ? new Error(t.users.allAdminRoles) : undefined),
      trigger: 'change',
    },
  ],
};

/** Flattens the department tree into select options, with the path as the label (办公室 / 综合科). */
export function flattenDepartments(nodes: readonly DepartmentNode[], prefix = ''): { value: number; label: string }[] {
  return nodes.flatMap((node) => {
    const label = prefix ? `${prefix} / ${node.name}` : node.name;
    return [{ value: node.id, label }, ...flattenDepartments(node.children, label)];
  });
}
