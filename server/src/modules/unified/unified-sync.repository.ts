import type { Db } from '../../db/database.js';
import { UNASSIGNED_USERNAME } from '../../db/migrations/0006-unified-sync.js';
import type { UnifiedHandlerRow, UnifiedRejectedRow, UnifiedSyncRunRow } from '../../db/schema.js';
import type { HandlerItem } from '../../adapters/unified/unified-client.js';
import type { Trx } from './unified-writer.js';

export interface SyncState {
  sinceToken: string | null;
  cursor: string | null;
  runId: number | null;
}

export interface UnmatchedHandlerRow extends UnifiedHandlerRow {
  case_count: number;
}

/** Runs, the pull position, 2.0 handlers and rejected rows of the 大统一2.0 sync. */
export class UnifiedSyncRepository {
  private placeholderId: number | undefined;

  constructor(readonly db: Db) {}

  /** Returns the id of the 待分配 placeholder account, the handler of cases whose 2.0 handler matches no user. */
  async placeholderUserId(): Promise<number> {
    if (this.placeholderId === undefined) {
      const row = await this.db.kysely.selectFrom('users').select('id').where('username', '=', UNASSIGNED_USERNAME).executeTakeFirstOrThrow();
      this.placeholderId = row.id;
    }
    return this.placeholderId;
  }

  async readState(trx?: Trx): Promise<SyncState> {
    const row = await (trx ?? this.db.kysely).selectFrom('unified_sync_state').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    return { sinceToken: row.since_token, cursor: row.cursor, runId: row.run_id };
  }

  async writeState(trx: Trx, state: SyncState, now: string): Promise<void> {
    await trx
      .updateTable('unified_sync_state')
      .set({ since_token: state.sinceToken, cursor: state.cursor, run_id: state.runId, updated_at: now })
      .where('id', '=', 1)
      .execute();
  }

  async findRun(runId: number): Promise<UnifiedSyncRunRow | undefined> {
    return this.db.kysely.selectFrom('unified_sync_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  }

  async insertRun(trx: Trx, trigger: string, triggeredBy: number | null, fileName: string | null, now: string): Promise<number> {
    const row = await trx
      .insertInto('unified_sync_runs')
      .values({ trigger, triggered_by: triggeredBy, file_name: fileName, started_at: now, finished_at: null, state: 'running', error: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async finishRun(runId: number, state: 'succeeded' | 'failed', error: string | null, now: string): Promise<void> {
    await this.db.kysely.updateTable('unified_sync_runs').set({ state, error, finished_at: now }).where('id', '=', runId).execute();
  }

  async listRuns(offset: number, limit: number): Promise<{ rows: (UnifiedSyncRunRow & { triggered_by_name: string | null })[]; total: number }> {
    const total = await this.db.kysely.selectFrom('unified_sync_runs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await this.db.kysely
      .selectFrom('unified_sync_runs')
      .leftJoin('users', 'users.id', 'unified_sync_runs.triggered_by')
      .selectAll('unified_sync_runs')
      .select('users.display_name as triggered_by_name')
      .orderBy('unified_sync_runs.id', 'desc')
      .offset(offset)
      .limit(limit)
      .execute();
    return { rows, total: Number(total.n) };
  }

  /** Returns the newest pull from the HTTP interface (not a file import); the schedule counts from its start. */
  async lastPull(): Promise<UnifiedSyncRunRow | undefined> {
    return this.db.kysely
      .selectFrom('unified_sync_runs')
      .selectAll()
      .where('trigger', '!=', 'file')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Returns the first `limit` rejected rows of a run, in report order, and the run's total. */
  async listRejected(runId: number, limit: number): Promise<{ rows: UnifiedRejectedRow[]; total: number }> {
    const rows = await this.db.kysely.selectFrom('unified_rejected_rows').selectAll().where('run_id', '=', runId).orderBy('id').limit(limit).execute();
    const count = await this.db.kysely
      .selectFrom('unified_rejected_rows')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    return { rows, total: Number(count.n) };
  }

  /**
   * Stores the unit's handler list and matches each to a user: by 工号 (employee_no), else by login name.
   * Then gives 待分配 cases whose handler now matches to that user. Returns how many cases were assigned.
   */
  async saveHandlers(handlers: HandlerItem[], now: string): Promise<number> {
    const placeholderId = await this.placeholderUserId();
    return this.db.kysely.transaction().execute(async (trx) => {
      for (const handler of handlers) {
        const byCode = await trx.selectFrom('users').select('id').where('employee_no', '=', handler.gh).executeTakeFirst();
        const byLogin =
          byCode || !handler.dlzh
            ? undefined
            : await trx.selectFrom('users').select('id').where('username', '=', handler.dlzh).where('id', '!=', placeholderId).executeTakeFirst();
        const values = {
          name: handler.xm,
          login_name: handler.dlzh,
          department_name: handler.bmMc,
          user_id: byCode?.id ?? byLogin?.id ?? null,
          updated_at: now,
        };
        await trx
          .insertInto('unified_handlers')
          .values({ code: handler.gh, ...values })
          .onConflict((conflict) => conflict.column('code').doUpdateSet(values))
          .execute();
      }
      return this.assignWaitingCases(trx, placeholderId, now);
    });
  }

  /** Re-matches stored handlers by 工号 (after an admin set one) and assigns waiting cases. */
  async rematchHandlers(now: string): Promise<number> {
    const placeholderId = await this.placeholderUserId();
    return this.db.kysely.transaction().execute(async (trx) => {
      const unmatched = await trx.selectFrom('unified_handlers').select(['code', 'login_name']).where('user_id', 'is', null).execute();
      for (const handler of unmatched) {
        const byCode = await trx.selectFrom('users').select('id').where('employee_no', '=', handler.code).executeTakeFirst();
        const byLogin =
          byCode || !handler.login_name
            ? undefined
            : await trx.selectFrom('users').select('id').where('username', '=', handler.login_name).executeTakeFirst();
        const userId = byCode?.id ?? byLogin?.id;
        if (userId !== undefined) await trx.updateTable('unified_handlers').set({ user_id: userId, updated_at: now }).where('code', '=', handler.code).execute();
      }
      return this.assignWaitingCases(trx, placeholderId, now);
    });
  }

  private async assignWaitingCases(trx: Trx, placeholderId: number, now: string): Promise<number> {
    const waiting = await trx
      .selectFrom('cases')
      .innerJoin('unified_handlers', 'unified_handlers.code', 'cases.unified_handler_code')
      .select(['cases.id', 'unified_handlers.user_id'])
      .where('cases.handler_id', '=', placeholderId)
      .where('unified_handlers.user_id', 'is not', null)
      .execute();
    for (const row of waiting) {
      await trx.updateTable('cases').set({ handler_id: row.user_id as number, updated_at: now }).where('id', '=', row.id).execute();
    }
    return waiting.length;
  }

  async listUnmatchedHandlers(): Promise<UnmatchedHandlerRow[]> {
    const placeholderId = await this.placeholderUserId();
    const rows = await this.db.kysely
      .selectFrom('unified_handlers')
      .selectAll('unified_handlers')
      .select((eb) =>
        eb
          .selectFrom('cases')
          .whereRef('cases.unified_handler_code', '=', 'unified_handlers.code')
          .where('cases.handler_id', '=', placeholderId)
          .select((inner) => inner.fn.countAll<number>().as('n'))
          .as('case_count'),
      )
      .where('user_id', 'is', null)
      .orderBy('code')
      .execute();
    return rows.map((row) => ({ ...row, case_count: Number(row.case_count ?? 0) }));
  }

  /** Cases whose 电子卷宗 tree has not been read since a sync changed them. */
  async listDossierPending(limit: number): Promise<{ id: number; case_number: string }[]> {
    return this.db.kysely.selectFrom('cases').select(['id', 'case_number']).where('dossier_pending', '=', 1).orderBy('id').limit(limit).execute();
  }
}
