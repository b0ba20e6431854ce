import type { Db } from '../../db/database.js';
import { nowIso } from '../../lib/time.js';

export interface GrantListRow {
  grantee_id: number;
  grantee_name: string;
  grantee_username: string;
  department_name: string | null;
  granted_at: string;
  granted_by_name: string;
}

export interface PersonRow {
  id: number;
  username: string;
  display_name: string;
  department_name: string | null;
  roles: string;
  status: string;
}

/** Case grants (案件授权): active rows have no revoked_at; revoked rows stay as history. */
export class CaseGrantRepository {
  constructor(private readonly db: Db) {}

  async hasActiveGrant(caseId: number, userId: number): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('case_grants')
      .select('id')
      .where('case_id', '=', caseId)
      .where('grantee_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  async listActive(caseId: number): Promise<GrantListRow[]> {
    return this.db.kysely
      .selectFrom('case_grants as g')
      .innerJoin('users as grantee', 'grantee.id', 'g.grantee_id')
      .innerJoin('users as granter', 'granter.id', 'g.granted_by')
      .leftJoin('departments', 'departments.id', 'grantee.department_id')
      .select([
        'g.grantee_id',
        'grantee.display_name as grantee_name',
        'grantee.username as grantee_username',
        'departments.name as department_name',
        'g.granted_at',
        'granter.display_name as granted_by_name',
      ])
      .where('g.case_id', '=', caseId)
      .where('g.revoked_at', 'is', null)
      .orderBy('g.granted_at')
      .orderBy('g.id')
      .execute();
  }

  async insert(caseId: number, granteeId: number, grantedBy: number): Promise<void> {
    await this.db.kysely
      .insertInto('case_grants')
      .values({ case_id: caseId, grantee_id: granteeId, granted_by: grantedBy, granted_at: nowIso(), revoked_at: null, revoked_by: null })
      .execute();
  }

  /** Marks the active grant revoked; returns false when there was none. */
  async revoke(caseId: number, granteeId: number, revokedBy: number): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable('case_grants')
      .set({ revoked_at: nowIso(), revoked_by: revokedBy })
      .where('case_id', '=', caseId)
      .where('grantee_id', '=', granteeId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async findPeople(ids: number[]): Promise<PersonRow[]> {
    if (ids.length === 0) return [];
    return this.peopleQuery().where('users.id', 'in', ids).execute();
  }

  /** Active accounts matching a name, login name or department, for the grant and transfer pickers. */
  async searchPeople(keyword: string, limit: number): Promise<PersonRow[]> {
    let query = this.peopleQuery().where('users.status', '=', 'active');
    if (keyword) {
      const pattern = `%${keyword.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb('users.display_name', 'like', pattern),
          eb('users.username', 'like', pattern),
          eb('departments.name', 'like', pattern),
        ]),
      );
    }
    return query.orderBy('departments.name').orderBy('users.display_name').orderBy('users.id').limit(limit).execute();
  }

  private peopleQuery() {
    return this.db.kysely
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .select(['users.id', 'users.username', 'users.display_name', 'departments.name as department_name', 'users.roles', 'users.status']);
  }
}
