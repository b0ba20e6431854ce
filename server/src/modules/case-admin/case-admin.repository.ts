import type { Db } from '../../db/database.js';
import type { RecordingSessionTable } from '../../db/schema.js';
import type { Insertable } from 'kysely';
import { JobRepository } from '../jobs/job.repository.js';
import type { EnqueueOptions } from '../jobs/job.repository.js';

/** Writes of the admin case actions: a backfilled session with its archive job, and a case's new handler. */
export class CaseAdminRepository {
  constructor(private readonly db: Db) {}

  /** Inserts an ended session and queues its archive job in one transaction; returns the session id. */
  async insertEndedSessionWithArchiveJob(values: Insertable<RecordingSessionTable>, job: EnqueueOptions): Promise<number> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const inserted = await trx.insertInto('recording_sessions').values(values).returning('id').executeTakeFirstOrThrow();
      await new JobRepository({ kysely: trx, dialect: this.db.dialect }).enqueue('archive', `archive:${inserted.id}`, { sessionId: inserted.id }, job);
      return inserted.id;
    });
  }

  /** Sets the case's handler and revokes the listed grants (and the new handler's own, now redundant, grant). */
  async transfer(caseId: number, handlerId: number, revokeGranteeIds: number[], byUserId: number, at: string): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('cases').set({ handler_id: handlerId, updated_at: at }).where('id', '=', caseId).execute();
      const revoked = [...revokeGranteeIds, handlerId];
      await trx
        .updateTable('case_grants')
        .set({ revoked_at: at, revoked_by: byUserId })
        .where('case_id', '=', caseId)
        .where('grantee_id', 'in', revoked)
        .where('revoked_at', 'is', null)
        .execute();
    });
  }
}
