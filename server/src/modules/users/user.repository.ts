import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { UNASSIGNED_USERNAME } from '../../db/migrations/0006-unified-sync.js';
import type { DepartmentRow, UserRow } from '../../db/schema.js';

export interface UserListFilter {
  displayName?: string;
  username?: string;
  /** The department and all its sub-departments. */
  departmentIds?: number[];
  status?: string;
  offset: number;
  limit: number;
}

export type UserListRow = UserRow & { department_name: string | null };

export interface UserValues {
  username: string;
  display_name: string;
  department_id: number | null;
  roles: string;
  password_hash: string;
  employee_no: string | null;
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Queries of users and departments. */
export class UserRepository {
  constructor(private readonly db: Db) {}

  listDepartments(): Promise<DepartmentRow[]> {
    return this.db.kysely.selectFrom('departments').selectAll().orderBy('sort_order').orderBy('id').execute();
  }

  findDepartment(id: number): Promise<DepartmentRow | undefined> {
    return this.db.kysely.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findDepartmentByName(name: string): Promise<DepartmentRow | undefined> {
    return this.db.kysely.selectFrom('departments').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async insertDepartment(name: string, parentId: number | null, now: string): Promise<number> {
    const row = await this.db.kysely
      .insertInto('departments')
      .values({ name, parent_id: parentId, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async updateDepartment(id: number, name: string, parentId: number | null): Promise<void> {
    await this.db.kysely.updateTable('departments').set({ name, parent_id: parentId }).where('id', '=', id).execute();
  }

  async listUsers(filter: UserListFilter): Promise<{ rows: UserListRow[]; total: number }> {
    let query = this.db.kysely
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .where('users.username', '!=', UNASSIGNED_USERNAME);
    if (filter.displayName) query = query.where(sql<boolean>`users.display_name like ${likePattern(filter.displayName)} escape '\\'`);
    if (filter.username) query = query.where(sql<boolean>`users.username like ${likePattern(filter.username)} escape '\\'`);
    if (filter.departmentIds) query = query.where('users.department_id', 'in', filter.departmentIds);
    if (filter.status) query = query.where('users.status', '=', filter.status);

    const totalRow = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
    const rows = await query
      .selectAll('users')
      .select('departments.name as department_name')
      .orderBy('users.id')
      .offset(filter.offset)
      .limit(filter.limit)
      .execute();
    return { rows, total: Number(totalRow.total) };
  }

  findUser(id: number): Promise<UserListRow | undefined> {
    return this.db.kysely
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .selectAll('users')
      .select('departments.name as department_name')
      .where('users.id', '=', id)
      .where('users.username', '!=', UNASSIGNED_USERNAME)
      .executeTakeFirst();
  }

  findByEmployeeNo(employeeNo: string): Promise<UserRow | undefined> {
    return this.db.kysely.selectFrom('users').selectAll().where('employee_no', '=', employeeNo).executeTakeFirst();
  }

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  }

  async insertUser(values: UserValues, now: string): Promise<number> {
    const row = await this.db.kysely
      .insertInto('users')
      .values({ ...values, must_change_password: 1, status: 'active', created_at: now, updated_at: now, password_changed_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async updateUser(id: number, values: Partial<UserRow>): Promise<void> {
    await this.db.kysely.updateTable('users').set(values).where('id', '=', id).execute();
  }

  async deleteUser(id: number): Promise<void> {
    await this.db.kysely.deleteFrom('users').where('id', '=', id).execute();
  }

  async deleteLoginSessions(userId: number): Promise<void> {
    await this.db.kysely.deleteFrom('login_sessions').where('user_id', '=', userId).execute();
  }

  /** Returns whether the user handled a case, operated a session, uploaded a file, logged in or acted in the audit log. */
  async hasHistory(userId: number): Promise<boolean> {
    const checks = [
      this.db.kysely.selectFrom('cases').select('id').where('handler_id', '=', userId).limit(1),
      this.db.kysely.selectFrom('recording_sessions').select('id').where('operator_id', '=', userId).limit(1),
      this.db.kysely.selectFrom('media_files').select('id').where('created_by', '=', userId).limit(1),
      this.db.kysely.selectFrom('audit_events').select('id').where('user_id', '=', userId).limit(1),
    ];
    for (const check of checks) {
      if (await check.executeTakeFirst()) return true;
    }
    const session = await this.db.kysely.selectFrom('login_sessions').select('id').where('user_id', '=', userId).limit(1).executeTakeFirst();
    return session !== undefined;
  }
}
