import { sql, type Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { CaseRow, CaseTable, SuspectRow, SuspectTable } from '../../db/schema.js';
import { pinyinInitials } from '../../lib/pinyin.js';

export interface CaseListFilter {
  /** Restrict to cases this user handles or has an active grant on; null for admins who see every case. */
  visibleTo: number | null;
  keyword: string;
  caseId?: number;
  source?: string;
  offset: number;
  limit: number;
}

export interface CaseListRow extends CaseRow {
  handler_name: string;
  suspect_count: number;
  session_count: number;
  last_session_at: string | null;
}

export class CaseRepository {
  constructor(private readonly db: Db) {}

  async list(filter: CaseListFilter): Promise<{ rows: CaseListRow[]; total: number }> {
    let query = this.db.kysely.selectFrom('cases').innerJoin('users', 'users.id', 'cases.handler_id');
    const visibleTo = filter.visibleTo;
    if (visibleTo !== null) {
      query = query.where((eb) =>
        eb.or([
          eb('cases.handler_id', '=', visibleTo),
          eb.exists(
            eb
              .selectFrom('case_grants')
              .select('case_grants.id')
              .whereRef('case_grants.case_id', '=', 'cases.id')
              .where('case_grants.grantee_id', '=', visibleTo)
              .where('case_grants.revoked_at', 'is', null),
          ),
        ]),
      );
    }
    if (filter.caseId !== undefined) query = query.where('cases.id', '=', filter.caseId);
    if (filter.source !== undefined) query = query.where('cases.source', '=', filter.source);
    if (filter.keyword) {
      const pattern = `%${filter.keyword.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql`cases.name`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`cases.case_number`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    }

    const totalRow = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirst();
    const rows = await query
      .selectAll('cases')
      .select('users.display_name as handler_name')
      .select((eb) => [
        eb.selectFrom('suspects').whereRef('suspects.case_id', '=', 'cases.id').select((inner) => inner.fn.countAll<number>().as('n')).as('suspect_count'),
        eb
          .selectFrom('recording_sessions')
          .whereRef('recording_sessions.case_id', '=', 'cases.id')
          .select((inner) => inner.fn.countAll<number>().as('n'))
          .as('session_count'),
        eb
          .selectFrom('recording_sessions')
          .whereRef('recording_sessions.case_id', '=', 'cases.id')
          .select((inner) => inner.fn.max('recording_sessions.started_at').as('m'))
          .as('last_session_at'),
      ])
      .orderBy('cases.accepted_on', 'desc')
      .orderBy('cases.id', 'desc')
      .offset(filter.offset)
      .limit(filter.limit)
      .execute();

    return {
      rows: rows.map((row) => ({ ...row, suspect_count: Number(row.suspect_count ?? 0), session_count: Number(row.session_count ?? 0) })) as CaseListRow[],
      total: Number(totalRow?.total ?? 0),
    };
  }

  async findById(caseId: number): Promise<(CaseRow & { handler_name: string }) | undefined> {
    return this.db.kysely
      .selectFrom('cases')
      .innerJoin('users', 'users.id', 'cases.handler_id')
      .selectAll('cases')
      .select('users.display_name as handler_name')
      .where('cases.id', '=', caseId)
      .executeTakeFirst();
  }

  async listSuspects(caseId: number): Promise<SuspectRow[]> {
    return this.db.kysely.selectFrom('suspects').selectAll().where('case_id', '=', caseId).orderBy('id').execute();
  }

  async findSuspect(suspectId: number): Promise<SuspectRow | undefined> {
    return this.db.kysely.selectFrom('suspects').selectAll().where('id', '=', suspectId).executeTakeFirst();
  }

  async isCaseNumberTaken(caseNumber: string): Promise<boolean> {
    const row = await this.db.kysely.selectFrom('cases').select('id').where('case_number', '=', caseNumber).executeTakeFirst();
    return row !== undefined;
  }

  /** Counts self-built cases of a year, to number the next one. */
  async countSelfBuiltInYear(prefix: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('case_number', 'like', `${prefix}%`)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async insertWithSuspects(
    values: Omit<Insertable<CaseTable>, 'name_initials'>,
    suspects: Omit<Insertable<SuspectTable>, 'case_id' | 'name_initials'>[],
  ): Promise<number> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('cases')
        .values({ ...values, name_initials: pinyinInitials(values.name) })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const suspect of suspects) {
        await trx.insertInto('suspects').values({ ...suspect, case_id: inserted.id, name_initials: pinyinInitials(suspect.name) }).execute();
      }
      return inserted.id;
    });
  }

  async countSessionsOfSuspects(suspectIds: number[]): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('recording_sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('suspect_id', 'in', suspectIds)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Updates a case, adds or changes its suspects and deletes the removed ones, in one transaction. */
  async updateWithSuspects(
    caseId: number,
    values: Pick<CaseRow, 'name' | 'case_number' | 'accepted_on' | 'stage' | 'updated_at'>,
    suspects: { id?: number; values: Pick<SuspectRow, 'name' | 'id_type_code' | 'id_type_name' | 'id_number'> }[],
    removedIds: number[],
  ): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('cases').set({ ...values, name_initials: pinyinInitials(values.name) }).where('id', '=', caseId).execute();
      if (removedIds.length > 0) await trx.deleteFrom('suspects').where('case_id', '=', caseId).where('id', 'in', removedIds).execute();
      for (const suspect of suspects) {
        const row = { ...suspect.values, name_initials: pinyinInitials(suspect.values.name) };
        if (suspect.id === undefined) {
          await trx.insertInto('suspects').values({ ...row, case_id: caseId, created_at: values.updated_at }).execute();
        } else {
          await trx.updateTable('suspects').set(row).where('id', '=', suspect.id).where('case_id', '=', caseId).execute();
        }
      }
    });
  }
}
