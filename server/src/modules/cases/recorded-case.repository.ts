import { sql, type ExpressionBuilder } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { pinyinInitials } from '../../lib/pinyin.js';

export const recordedCaseSortKeys = ['acceptedOn', 'name', 'caseNumber', 'lastSessionAt', 'sessionCount'] as const;
export type RecordedCaseSortKey = (typeof recordedCaseSortKeys)[number];

export interface RecordedCaseFilter {
  userId: number;
  caseName: string;
  caseNumber: string;
  suspectName: string;
  acceptedFrom?: string;
  acceptedTo?: string;
  sortBy: RecordedCaseSortKey;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export interface RecordedCaseRow {
  id: number;
  name: string;
  case_number: string;
  accepted_on: string;
  stage: string;
  source: string;
  handler_id: number;
  handler_name: string;
  suspect_names: string | null;
  session_count: number;
  last_session_at: string | null;
  is_grantee: number;
}

const sortColumns: Record<RecordedCaseSortKey, string> = {
  acceptedOn: 'accepted_on',
  name: 'name',
  caseNumber: 'case_number',
  lastSessionAt: 'last_session_at',
  sessionCount: 'session_count',
};

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

type CaseScope = ExpressionBuilder<Database, 'cases' | 'users'>;

/** 同录案件列表: cases a user handles, has a grant on, or has operated a session of, with search and sorting. */
export class RecordedCaseRepository {
  constructor(private readonly db: Db) {}

  async list(filter: RecordedCaseFilter): Promise<{ rows: RecordedCaseRow[]; total: number }> {
    const userId = filter.userId;
    const activeGrant = (eb: CaseScope) =>
      eb
        .selectFrom('case_grants')
        .select('case_grants.id')
        .whereRef('case_grants.case_id', '=', 'cases.id')
        .where('case_grants.grantee_id', '=', userId)
        .where('case_grants.revoked_at', 'is', null);

    let query = this.db.kysely
      .selectFrom('cases')
      .innerJoin('users', 'users.id', 'cases.handler_id')
      .where((eb) =>
        eb.or([
          eb('cases.handler_id', '=', userId),
          eb.exists(activeGrant(eb)),
          eb.exists(
            eb.selectFrom('recording_sessions').select('recording_sessions.id').whereRef('recording_sessions.case_id', '=', 'cases.id').where('recording_sessions.operator_id', '=', userId),
          ),
        ]),
      );

    const caseName = filter.caseName.trim();
    if (caseName) {
      const initials = likePattern(caseName.toLowerCase());
      query = query.where((eb) => eb.or([eb(sql`cases.name`, 'like', sql`${likePattern(caseName)} escape '\\'`), eb(sql`cases.name_initials`, 'like', sql`${initials} escape '\\'`)]));
    }
    const caseNumber = filter.caseNumber.trim();
    if (caseNumber) query = query.where(sql`cases.case_number`, 'like', sql`${likePattern(caseNumber)} escape '\\'`);
    const suspectName = filter.suspectName.trim();
    if (suspectName) {
      const initials = likePattern(suspectName.toLowerCase());
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('suspects')
            .select('suspects.id')
            .whereRef('suspects.case_id', '=', 'cases.id')
            .where((inner) => inner.or([inner(sql`suspects.name`, 'like', sql`${likePattern(suspectName)} escape '\\'`), inner(sql`suspects.name_initials`, 'like', sql`${initials} escape '\\'`)])),
        ),
      );
    }
    if (filter.acceptedFrom) query = query.where('cases.accepted_on', '>=', filter.acceptedFrom);
    if (filter.acceptedTo) query = query.where('cases.accepted_on', '<=', filter.acceptedTo);

    const totalRow = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirst();
    const rows = await query
      .select(['cases.id', 'cases.name', 'cases.case_number', 'cases.accepted_on', 'cases.stage', 'cases.source', 'cases.handler_id', 'users.display_name as handler_name'])
      .select((eb) => [
        eb.selectFrom('recording_sessions').whereRef('recording_sessions.case_id', '=', 'cases.id').select((inner) => inner.fn.countAll<number>().as('n')).as('session_count'),
        eb.selectFrom('recording_sessions').whereRef('recording_sessions.case_id', '=', 'cases.id').select((inner) => inner.fn.max('recording_sessions.started_at').as('m')).as('last_session_at'),
        eb.case().when(eb.exists(activeGrant(eb))).then(1).else(0).end().as('is_grantee'),
      ])
      .orderBy(sql.ref(sortColumns[filter.sortBy]), filter.order)
      .orderBy('cases.id', 'desc')
      .offset(filter.offset)
      .limit(filter.limit)
      .execute();
    const suspects = await this.suspectNames(rows.map((row) => row.id));

    return {
      rows: rows.map((row) => ({
        ...row,
        session_count: Number(row.session_count ?? 0),
        last_session_at: (row.last_session_at as string | null) ?? null,
        is_grantee: Number(row.is_grantee),
        suspect_names: suspects.get(row.id)?.join('、') ?? null,
      })),
      total: Number(totalRow?.total ?? 0),
    };
  }

  /**
   * Fills empty pinyin initials of cases and suspects written by code that does not set them (imports, seeds).
   * NOTE: a name without any letter or Chinese character keeps empty initials and is looked at on every call.
   */
  async fillMissingInitials(): Promise<void> {
    const cases = await this.db.kysely.selectFrom('cases').select(['id', 'name']).where('name_initials', '=', '').limit(500).execute();
    for (const row of cases) {
      await this.db.kysely.updateTable('cases').set({ name_initials: pinyinInitials(row.name) }).where('id', '=', row.id).execute();
    }
    const suspects = await this.db.kysely.selectFrom('suspects').select(['id', 'name']).where('name_initials', '=', '').limit(500).execute();
    for (const row of suspects) {
      await this.db.kysely.updateTable('suspects').set({ name_initials: pinyinInitials(row.name) }).where('id', '=', row.id).execute();
    }
  }

  private async suspectNames(caseIds: number[]): Promise<Map<number, string[]>> {
    const names = new Map<number, string[]>();
    if (caseIds.length === 0) return names;
    const rows = await this.db.kysely.selectFrom('suspects').select(['case_id', 'name']).where('case_id', 'in', caseIds).orderBy('id').execute();
    for (const row of rows) names.set(row.case_id, [...(names.get(row.case_id) ?? []), row.name]);
    return names;
  }
}
