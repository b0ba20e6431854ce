import { hashPassword } from '../../adapters/crypto/password.js';
import type { DepartmentRow } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import { hasRole, holdsAllAdminRoles, parseRoles, type AuthUser, type Role } from '../auth/auth.types.js';
import type { UserListRow, UserRepository } from './user.repository.js';

export interface UserPolicy {
  defaultPassword: string;
  separationOfDuties: boolean;
}

export interface DepartmentNode {
  id: number;
  name: string;
  parentId: number | null;
  children: DepartmentNode[];
}

export interface UserView {
  id: number;
  username: string;
  displayName: string;
  departmentId: number | null;
  departmentName: string | null;
  roles: Role[];
  /** 工号, matched to the 承办人工号 of 大统一2.0 cases; null when not set. */
  employeeNo: string | null;
  status: string;
  isLocked: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

export interface UserQuery {
  displayName?: string;
  username?: string;
  departmentId?: number;
  status?: string;
  page: number;
  pageSize: number;
}

export interface UserInput {
  username: string;
  displayName: string;
  departmentId: number | null;
  roles?: Role[];
  /** 工号; empty or null leaves it unset. */
  employeeNo?: string | null;
}

/** The acting user and client IP, recorded as the actor of audit events. */
export interface Actor {
  user: AuthUser;
  clientIp: string;
}

function toView(row: UserListRow): UserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    departmentId: row.department_id,
    departmentName: row.department_name,
    roles: parseRoles(row.roles),
    employeeNo: row.employee_no,
    status: row.status,
    isLocked: row.locked_until !== null && Date.parse(row.locked_until) > Date.now(),
    mustChangePassword: row.must_change_password === 1,
    createdAt: row.created_at,
  };
}

/** Returns whether a database error is a foreign-key violation (SQLite or PostgreSQL code 23503). */
function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/** Returns the department's id and the ids of all departments below it. */
export function collectSubtree(departments: readonly DepartmentRow[], rootId: number): number[] {
  const ids = [rootId];
  for (let index = 0; index < ids.length; index += 1) {
    for (const department of departments) {
      if (department.parent_id === ids[index] && !ids.includes(department.id)) ids.push(department.id);
    }
  }
  return ids;
}

/**
 * 用户管理 and the department tree. 系统管理员 manages users' basic data (add, edit, disable, delete, departments);
 * 安全管理员 assigns roles and resets passwords. With separationOfDuties off, either admin does both.
 */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly audit: AuditService,
    private readonly policy: UserPolicy,
    /** Called after a 工号 is saved; gives the 待分配 cases of a matching 大统一2.0 handler to the user. */
    private readonly onEmployeeNoSaved: () => Promise<unknown> = async () => undefined,
  ) {}

  canManageBasicData(user: AuthUser): boolean {
    return hasRole(user, 'sysadmin') || (!this.policy.separationOfDuties && hasRole(user, 'secadmin'));
  }

  canManageSecurity(user: AuthUser): boolean {
    return hasRole(user, 'secadmin') || (!this.policy.separationOfDuties && hasRole(user, 'sysadmin'));
  }

  private requireBasicData(user: AuthUser): void {
    if (!this.canManageBasicData(user)) throw new AppError('FORBIDDEN');
  }

  private requireSecurity(user: AuthUser): void {
    if (!this.canManageSecurity(user)) throw new AppError('FORBIDDEN');
  }

  private async record(actor: Actor, action: string, targetType: string, targetId: number, details?: Record<string, unknown>): Promise<void> {
    await this.audit.record({ userId: actor.user.id, username: actor.user.username, clientIp: actor.clientIp, action, targetType, targetId, result: 'success', details });
  }

  async departmentTree(): Promise<DepartmentNode[]> {
    const rows = await this.users.listDepartments();
    const nodes = new Map(rows.map((row) => [row.id, { id: row.id, name: row.name, parentId: row.parent_id, children: [] as DepartmentNode[] }]));
    const roots: DepartmentNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  async createDepartment(actor: Actor, name: string, parentId: number | null): Promise<number> {
    this.requireBasicData(actor.user);
    if (parentId !== null && !(await this.users.findDepartment(parentId))) throw new AppError('DEPARTMENT_NOT_FOUND');
    if (await this.users.findDepartmentByName(name)) throw new AppError('DEPARTMENT_NAME_TAKEN');

    const id = await this.users.insertDepartment(name, parentId, nowIso());
    await this.record(actor, 'department.create', 'department', id, { name, parentId });
    return id;
  }

  async updateDepartment(actor: Actor, id: number, name: string, parentId: number | null): Promise<void> {
    this.requireBasicData(actor.user);
    const department = await this.users.findDepartment(id);
    if (!department) throw new AppError('DEPARTMENT_NOT_FOUND');
    if (parentId !== null) {
      if (!(await this.users.findDepartment(parentId))) throw new AppError('DEPARTMENT_NOT_FOUND');
      const subtree = collectSubtree(await this.users.listDepartments(), id);
      if (subtree.includes(parentId)) throw new AppError('DEPARTMENT_CYCLE');
    }
    const sameName = await this.users.findDepartmentByName(name);
    if (sameName && sameName.id !== id) throw new AppError('DEPARTMENT_NAME_TAKEN');

    await this.users.updateDepartment(id, name, parentId);
    await this.record(actor, 'department.update', 'department', id, { oldName: department.name, name, parentId });
  }

  /** Lists one page of users, with what the caller may do so the screen shows only those buttons. */
  async list(user: AuthUser, query: UserQuery): Promise<{ items: UserView[]; total: number; canManageBasicData: boolean; canManageSecurity: boolean }> {
    if (!this.canManageBasicData(user) && !this.canManageSecurity(user)) throw new AppError('FORBIDDEN');

    const departmentIds = query.departmentId === undefined ? undefined : collectSubtree(await this.users.listDepartments(), query.departmentId);
    const { rows, total } = await this.users.listUsers({
      displayName: query.displayName,
      username: query.username,
      departmentIds,
      status: query.status,
      offset: (query.page - 1) * query.pageSize,
      limit: query.pageSize,
    });
    return { items: rows.map(toView), total, canManageBasicData: this.canManageBasicData(user), canManageSecurity: this.canManageSecurity(user) };
  }

  async view(id: number): Promise<UserView> {
    const row = await this.users.findUser(id);
    if (!row) throw new AppError('USER_NOT_FOUND');
    return toView(row);
  }

  private async requireTarget(actor: Actor, id: number): Promise<UserListRow> {
    const row = await this.users.findUser(id);
    if (!row) throw new AppError('USER_NOT_FOUND');
    if (row.id === actor.user.id) throw new AppError('OWN_ACCOUNT_CHANGE');
    return row;
  }

  private async requireDepartment(departmentId: number | null): Promise<void> {
    if (departmentId !== null && !(await this.users.findDepartment(departmentId))) throw new AppError('DEPARTMENT_NOT_FOUND');
  }

  private checkRoles(roles: readonly Role[]): void {
    if (holdsAllAdminRoles(roles)) throw new AppError('ALL_ADMIN_ROLES');
  }

  /** Adds an account with the default password, which the user must change at the first login. */
  async create(actor: Actor, input: UserInput): Promise<number> {
    this.requireBasicData(actor.user);
    // Roles other than the default 办案人员 are the 安全管理员's to give.
    const roles = input.roles ?? ['officer'];
    const isDefaultRole = roles.length === 1 && roles[0] === 'officer';
    if (!isDefaultRole) this.requireSecurity(actor.user);
    this.checkRoles(roles);
    await this.requireDepartment(input.departmentId);
    if (await this.users.findByUsername(input.username)) throw new AppError('USERNAME_TAKEN');
    const employeeNo = input.employeeNo?.trim() || null;
    await this.requireFreeEmployeeNo(employeeNo, null);

    const id = await this.users.insertUser(
      {
        username: input.username,
        display_name: input.displayName,
        department_id: input.departmentId,
        roles: roles.join(','),
        password_hash: await hashPassword(this.policy.defaultPassword),
        employee_no: employeeNo,
      },
      nowIso(),
    );
    await this.record(actor, 'user.create', 'user', id, { username: input.username, roles, employeeNo });
    if (employeeNo !== null) await this.onEmployeeNoSaved();
    return id;
  }

  /**
   * Changes the basic data: display name, department and 工号 (left as it is when `employeeNo` is undefined).
   * The login name stays as created.
   */
  async update(actor: Actor, id: number, displayName: string, departmentId: number | null, employeeNoInput?: string | null): Promise<void> {
    this.requireBasicData(actor.user);
    const row = await this.users.findUser(id);
    if (!row) throw new AppError('USER_NOT_FOUND');
    await this.requireDepartment(departmentId);
    const employeeNo = employeeNoInput === undefined ? row.employee_no : employeeNoInput?.trim() || null;
    await this.requireFreeEmployeeNo(employeeNo, id);

    await this.users.updateUser(id, { display_name: displayName, department_id: departmentId, employee_no: employeeNo, updated_at: nowIso() });
    await this.record(actor, 'user.update', 'user', id, { displayName, departmentId, oldDepartmentId: row.department_id, employeeNo, oldEmployeeNo: row.employee_no });
    if (employeeNo !== null && employeeNo !== row.employee_no) await this.onEmployeeNoSaved();
  }

  private async requireFreeEmployeeNo(employeeNo: string | null, ownId: number | null): Promise<void> {
    if (employeeNo === null) return;
    const holder = await this.users.findByEmployeeNo(employeeNo);
    if (holder && holder.id !== ownId) throw new AppError('EMPLOYEE_NO_TAKEN', `工号 ${employeeNo} 已被用户“${holder.display_name}”使用，请核对。`);
  }

  async setStatus(actor: Actor, id: number, status: 'active' | 'disabled'): Promise<void> {
    this.requireBasicData(actor.user);
    await this.requireTarget(actor, id);

    await this.users.updateUser(id, { status, updated_at: nowIso() });
    if (status === 'disabled') await this.users.deleteLoginSessions(id);
    await this.record(actor, status === 'disabled' ? 'user.disable' : 'user.enable', 'user', id);
  }

  /** Deletes an account that left no trace; any history means it must be disabled instead. */
  async delete(actor: Actor, id: number): Promise<void> {
    this.requireBasicData(actor.user);
    const row = await this.requireTarget(actor, id);
    if (await this.users.hasHistory(id)) throw new AppError('USER_HAS_HISTORY');

    try {
      await this.users.deleteUser(id);
    } catch (error) {
      // A table added later may reference the user without hasHistory knowing it: the database then refuses.
      if (isForeignKeyViolation(error)) throw new AppError('USER_HAS_HISTORY', undefined, { cause: error });
      throw error;
    }
    await this.record(actor, 'user.delete', 'user', id, { username: row.username });
  }

  async setRoles(actor: Actor, id: number, roles: Role[]): Promise<void> {
    this.requireSecurity(actor.user);
    const row = await this.requireTarget(actor, id);
    this.checkRoles(roles);

    await this.users.updateUser(id, { roles: roles.join(','), updated_at: nowIso() });
    await this.record(actor, 'user.roles', 'user', id, { oldRoles: parseRoles(row.roles), roles });
  }

  /** Sets the default password, unlocks the account and ends its sessions; the user must change it at the next login. */
  async resetPassword(actor: Actor, id: number): Promise<void> {
    this.requireSecurity(actor.user);
    await this.requireTarget(actor, id);

    const now = nowIso();
    await this.users.updateUser(id, {
      password_hash: await hashPassword(this.policy.defaultPassword),
      must_change_password: 1,
      failed_login_count: 0,
      locked_until: null,
      password_changed_at: now,
      updated_at: now,
    });
    await this.users.deleteLoginSessions(id);
    await this.record(actor, 'user.password.reset', 'user', id);
  }
}
