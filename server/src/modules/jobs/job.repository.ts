import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { JobRow } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';
import type { JobPayloads, JobType } from './job.types.js';

/** Jobs that run only when no other job is due. */
const BACKGROUND_JOB_TYPE: JobType = 'dossier-fetch';

export interface EnqueueOptions {
  runAfter: string;
  maxAttempts: number;
}

/** The jobs table used as a durable queue on SQLite and PostgreSQL alike. */
export class JobRepository {
  constructor(private readonly db: Db) {}

  /** Queues a job unless one with the same key exists; returns the existing or new row. */
  async enqueue<T extends JobType>(type: T, dedupeKey: string, payload: JobPayloads[T], options: EnqueueOptions): Promise<JobRow> {
    const now = nowIso();
    await this.db.kysely
      .insertInto('jobs')
      .values({
        type,
        dedupe_key: dedupeKey,
        payload: JSON.stringify(payload),
        state: 'queued',
        run_after: options.runAfter,
        attempts: 0,
        max_attempts: options.maxAttempts,
        created_at: now,
        updated_at: now,
      })
      .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
      .execute();
    return this.db.kysely.selectFrom('jobs').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirstOrThrow();
  }

  /**
   * Queues a job, or re-queues the finished or failed job with the same key with the new payload and fresh
   * attempts. Returns false when that job is still queued or running, so one key never runs twice at once.
   */
  async enqueueUnlessActive<T extends JobType>(type: T, dedupeKey: string, payload: JobPayloads[T], options: EnqueueOptions): Promise<boolean> {
    const now = nowIso();
    const reset = {
      payload: JSON.stringify(payload),
      state: 'queued',
      run_after: options.runAfter,
      attempts: 0,
      max_attempts: options.maxAttempts,
      last_error: null,
      locked_by: null,
      locked_until: null,
      updated_at: now,
    };
    const result = await this.db.kysely
      .insertInto('jobs')
      .values({ ...reset, type, dedupe_key: dedupeKey, created_at: now })
      .onConflict((conflict) => conflict.column('dedupe_key').doUpdateSet(reset).where('jobs.state', 'in', ['done', 'failed']))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * Claims the next due job: queued and due, or running with an expired lease (its worker died).
   * PostgreSQL skips rows other workers hold; SQLite has one writer at a time, so the single UPDATE is atomic.
   * Evidence work (archive, delivery, the 大统一2.0 pull) goes before 电子卷宗 downloads, so a backlog of
   * thousands of dossier files after a first pull never delays a recording's archive.
   */
  async claimNext(workerId: string, leaseSeconds: number): Promise<JobRow | undefined> {
    const now = nowIso();
    const lockedUntil = new Date(Date.now() + leaseSeconds * 1000).toISOString();
    const lockClause = this.db.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const result = await sql<JobRow>`
      update jobs set state = 'running', locked_by = ${workerId}, locked_until = ${lockedUntil},
        attempts = attempts + 1, updated_at = ${now}
      where id = (
        select id from jobs
        where (state = 'queued' and run_after <= ${now}) or (state = 'running' and locked_until < ${now})
        order by case when type = ${BACKGROUND_JOB_TYPE} then 1 else 0 end, run_after, id
        limit 1
        ${lockClause}
      )
      returning *`.execute(this.db.kysely);
    return result.rows[0];
  }

  /** Extends the lease of a running job; false when another worker took it over. */
  async heartbeat(jobId: number, workerId: string, leaseSeconds: number): Promise<boolean> {
    const lockedUntil = new Date(Date.now() + leaseSeconds * 1000).toISOString();
    const result = await this.db.kysely
      .updateTable('jobs')
      .set({ locked_until: lockedUntil })
      .where('id', '=', jobId)
      .where('locked_by', '=', workerId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markDone(jobId: number, workerId: string): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ state: 'done', locked_by: null, locked_until: null, last_error: null, updated_at: nowIso() })
      .where('id', '=', jobId)
      .where('locked_by', '=', workerId)
      .execute();
  }

  async markRetry(jobId: number, workerId: string, runAfter: string, error: string): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ state: 'queued', run_after: runAfter, locked_by: null, locked_until: null, last_error: error, updated_at: nowIso() })
      .where('id', '=', jobId)
      .where('locked_by', '=', workerId)
      .execute();
  }

  async markFailed(jobId: number, workerId: string, error: string): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ state: 'failed', locked_by: null, locked_until: null, last_error: error, updated_at: nowIso() })
      .where('id', '=', jobId)
      .where('locked_by', '=', workerId)
      .execute();
  }

  /** Puts a finished or failed job back in the queue with fresh attempts (manual retry). */
  async requeue(dedupeKey: string, runAfter: string): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ state: 'queued', run_after: runAfter, attempts: 0, last_error: null, locked_by: null, locked_until: null, updated_at: nowIso() })
      .where('dedupe_key', '=', dedupeKey)
      .execute();
  }

  async findByKey(dedupeKey: string): Promise<JobRow | undefined> {
    return this.db.kysely.selectFrom('jobs').selectAll().where('dedupe_key', '=', dedupeKey).executeTakeFirst();
  }
}
