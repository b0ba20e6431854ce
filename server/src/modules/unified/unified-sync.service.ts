import type { FastifyBaseLogger } from 'fastify';
import { UnifiedError, type DossierTreeFile, type UnifiedClient } from '../../adapters/unified/unified-client.js';
import { AppError } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import { JobRepository } from '../jobs/job.repository.js';
import type { JobContext, JobHandler, JobOutcome, JobPayloads } from '../jobs/job.types.js';
import type { UnifiedRejectedRow } from '../../db/schema.js';
import { EXAMPLE_ROW_REASON, fieldNames, isExampleCaseNumber, normalizeUnifiedCaseNumber, parseUnifiedCase } from './unified-record.js';
import type { UnifiedSyncRepository } from './unified-sync.repository.js';
import { recordBatch, UnifiedWriter, type RecordToApply, type RejectedRow } from './unified-writer.js';

export interface UnifiedSyncSettings {
  /** Minutes between scheduled pulls; 0 turns the schedule off (立即同步 still works). */
  intervalMinutes: number;
  /** Records requested per page (`limit`, 1–500). */
  pageSize: number;
  /** The configured 单位编码 (TONGLU_UNIFIED_DWBM); records of another unit are rejected. */
  unitCode: string;
}

export const SYNC_JOB_KEY = 'unified-sync';

/** Maximum rejected rows a report or the 未导入的记录 dialog returns. The page shows a note when a run has more. */
export const REJECTED_ROWS_SHOWN = 5000;

/**
 * run_after of a queued pull. The worker claims due jobs by run_after, so this puts a pull ahead of the
 * 电子卷宗 downloads the previous pull queued, instead of behind thousands of them.
 */
const PULL_RUN_AFTER = '1970-01-01T00:00:00.000Z';

/** Dossier trees read per batch after a page; each batch is one transaction with its jobs. */
const DOSSIER_BATCH = 50;

/** Advice on where to correct rejected data, appended to each rejection reason. */
const correctionAdvice = {
  pull: '请在大统一2.0 中更正后重新同步。',
  file: '请在导入文件中更正后重新导入。',
} as const;

export interface PrepareOptions {
  /** Position of a rejection in an imported file; absent for a pull. */
  place?: (index: number, suspectIndex?: number) => { sheet: string | null; rowNumber: number | null };
  source: keyof typeof correctionAdvice;
  /** The configured 单位编码; a record of another unit is rejected. Empty when not configured. */
  unitCode: string;
  /**
   * Rejects a later record repeating a 部门受案号 of the same file. A pull keeps both, because a page may hold two
   * versions of one case and the later one wins.
   */
  rejectDuplicates: boolean;
}

/** Rejections of one batch: every reason, and how many cases and suspects they left out. */
export interface PreparedRecords {
  toApply: RecordToApply[];
  rejected: RejectedRow[];
  rejectedCases: number;
  rejectedSuspects: number;
}

function positionText(place: { sheet: string | null; rowNumber: number | null }): string {
  if (place.rowNumber === null) return '前面的记录';
  return place.sheet ? `第 ${place.rowNumber} 行` : `第 ${place.rowNumber} 条`;
}

/** Validates raw records and splits them into records to apply and rejected rows. */
export function prepareRecords(rawItems: readonly unknown[], options: PrepareOptions): PreparedRecords {
  const { place, source, unitCode, rejectDuplicates } = options;
  const toApply: RecordToApply[] = [];
  const rejected: RejectedRow[] = [];
  const firstIndexByNumber = new Map<string, number>();
  let rejectedCases = 0;
  let rejectedSuspects = 0;

  rawItems.forEach((raw, index) => {
    const position = place?.(index) ?? {};
    // The example row is skipped before validation, so it is reported as the example even when it is incomplete.
    const rawNumber = (raw as { bmsah?: unknown } | null)?.bmsah;
    const exampleNumber = typeof rawNumber === 'string' ? normalizeUnifiedCaseNumber(rawNumber) : '';
    if (isExampleCaseNumber(exampleNumber)) {
      rejected.push({ reference: exampleNumber.slice(0, 120), field: 'bmsah', reason: EXAMPLE_ROW_REASON, ...position });
      rejectedCases += 1;
      return;
    }

    const { record, rejections } = parseUnifiedCase(raw);

    const rejectedSuspectIds: string[] = [];
    for (const { suspectIndex, ...rejection } of rejections) {
      rejected.push({ ...rejection, reason: `${rejection.reason}${correctionAdvice[source]}`, ...(place?.(index, suspectIndex) ?? {}) });
      if (suspectIndex !== undefined) {
        rejectedSuspects += 1;
        const suspect = (raw as { xyr?: { xyrbh?: unknown }[] }).xyr?.[suspectIndex];
        if (typeof suspect?.xyrbh === 'string') rejectedSuspectIds.push(suspect.xyrbh.trim());
      }
    }
    if (!record) {
      rejectedCases += 1;
      return;
    }

    const caseRejection = (field: string, reason: string) => {
      rejected.push({ reference: record.caseNumber, field, reason: `${reason}${correctionAdvice[source]}`, ...position });
      rejectedCases += 1;
    };
    if (unitCode && record.unitCode && record.unitCode !== unitCode) {
      caseRejection('dwbm', `单位编码“${record.unitCode}”不是本院的单位编码“${unitCode}”，该案件未导入。`);
      return;
    }
    const firstIndex = firstIndexByNumber.get(record.caseNumber);
    if (rejectDuplicates && firstIndex !== undefined) {
      const first = place?.(firstIndex) ?? { sheet: null, rowNumber: firstIndex + 1 };
      caseRejection('bmsah', `部门受案号与${positionText(first)}重复，该记录未导入。`);
      return;
    }
    firstIndexByNumber.set(record.caseNumber, index);
    toApply.push({ record, rejectedSuspectIds });
  });
  return { toApply, rejected, rejectedCases, rejectedSuspects };
}

export interface SyncStatus {
  isConfigured: boolean;
  intervalMinutes: number;
  isRunning: boolean;
  lastRun: RunView | null;
  nextRunAt: string | null;
  unmatchedHandlerCount: number;
}

export interface RunView {
  id: number;
  trigger: string;
  triggeredBy: string | null;
  fileName: string | null;
  startedAt: string;
  finishedAt: string | null;
  state: string;
  fetched: number;
  created: number;
  updated: number;
  deleted: number;
  /** Rejected cases (records, items of `cases` or rows of the 案件 sheet). */
  rejected: number;
  /** Suspects left out of imported cases or rows of the 嫌疑人 sheet. */
  rejectedSuspects: number;
  dossierFiles: number;
  error: string | null;
}

/**
 * Pulls cases from 大统一2.0 page by page. Each page is applied in one transaction together with the cursor, so a
 * crash at any moment resumes at the first page not stored, and nothing is lost or stored twice.
 */
export class UnifiedSyncService implements JobHandler<'unified-sync'> {
  readonly type = 'unified-sync' as const;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: UnifiedSyncRepository,
    private readonly client: UnifiedClient | null,
    private readonly jobs: JobRepository,
    private readonly audit: AuditService,
    private readonly settings: UnifiedSyncSettings,
    private readonly onJobQueued: () => void,
    private readonly log: FastifyBaseLogger,
  ) {}

  get isConfigured(): boolean {
    return this.client !== null;
  }

  /** 立即同步: queues a pull now; rejects when one is already queued or running. */
  async requestRun(user: AuthUser, clientIp: string): Promise<void> {
    if (!this.client) throw new AppError('UNIFIED_NOT_CONFIGURED');
    const queued = await this.jobs.enqueueUnlessActive(SYNC_JOB_KEY, SYNC_JOB_KEY, { trigger: 'manual', userId: user.id }, { runAfter: PULL_RUN_AFTER, maxAttempts: 100 });
    if (!queued) throw new AppError('UNIFIED_SYNC_BUSY');
    this.onJobQueued();
    await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'unified.sync.request', result: 'success' });
  }

  /** Checks every minute whether a scheduled pull is due. */
  startSchedule(): void {
    if (!this.client || this.settings.intervalMinutes <= 0) return;
    const check = () => {
      void this.enqueueIfDue().catch((error: unknown) => this.log.error({ err: error }, 'scheduling the unified sync failed'));
    };
    check();
    this.timer = setInterval(check, Math.min(60_000, this.settings.intervalMinutes * 60_000));
    this.timer.unref();
  }

  stopSchedule(): void {
    clearInterval(this.timer);
  }

  private async nextRunAt(): Promise<string | null> {
    if (!this.client || this.settings.intervalMinutes <= 0) return null;
    const last = await this.repository.lastPull();
    if (!last) return nowIso();
    return new Date(Date.parse(last.started_at) + this.settings.intervalMinutes * 60_000).toISOString();
  }

  private async enqueueIfDue(): Promise<void> {
    const due = await this.nextRunAt();
    if (!due || due > nowIso()) return;
    const queued = await this.jobs.enqueueUnlessActive(SYNC_JOB_KEY, SYNC_JOB_KEY, { trigger: 'schedule', userId: null }, { runAfter: PULL_RUN_AFTER, maxAttempts: 100 });
    if (queued) this.onJobQueued();
  }

  async status(): Promise<SyncStatus> {
    const [last, job, unmatched] = await Promise.all([this.repository.lastPull(), this.jobs.findByKey(SYNC_JOB_KEY), this.repository.listUnmatchedHandlers()]);
    const runs = await this.repository.listRuns(0, 1);
    const newest = runs.rows[0];
    return {
      isConfigured: this.isConfigured,
      intervalMinutes: this.settings.intervalMinutes,
      isRunning: job?.state === 'queued' || job?.state === 'running' || last?.state === 'running',
      lastRun: newest ? toRunView(newest) : null,
      nextRunAt: await this.nextRunAt(),
      unmatchedHandlerCount: unmatched.length,
    };
  }

  async history(page: number, pageSize: number): Promise<{ items: RunView[]; total: number }> {
    const { rows, total } = await this.repository.listRuns((page - 1) * pageSize, pageSize);
    return { items: rows.map(toRunView), total };
  }

  /** Returns the first REJECTED_ROWS_SHOWN rejected rows of a run and how many it has in all. */
  async rejectedRows(runId: number): Promise<{ items: RejectedRowView[]; total: number }> {
    const run = await this.repository.findRun(runId);
    if (!run) throw new AppError('NOT_FOUND', '同步记录不存在。');
    const { rows, total } = await this.repository.listRejected(runId, REJECTED_ROWS_SHOWN);
    return { items: rows.map(toRejectedRowView), total };
  }

  async unmatchedHandlers() {
    await this.repository.rematchHandlers(nowIso());
    const rows = await this.repository.listUnmatchedHandlers();
    return rows.map((row) => ({ code: row.code, name: row.name, loginName: row.login_name, departmentName: row.department_name, waitingCaseCount: row.case_count }));
  }

  /** Job entry: one pull. Failures of 大统一2.0 end the run as failed with a Chinese reason; the next run resumes. */
  async run(payload: JobPayloads['unified-sync'], context: JobContext): Promise<JobOutcome> {
    if (!this.client) return 'skipped';
    const runId = await this.openRun(payload);
    const log = this.log.child({ runId });
    log.info({ trigger: payload.trigger }, 'unified sync started');
    try {
      await this.pull(this.client, runId, context.signal);
    } catch (error) {
      if (context.signal.aborted) throw error;
      const reason = error instanceof UnifiedError ? error.message : '同步时发生内部错误，请查看服务器日志。';
      log.warn({ err: error }, 'unified sync failed');
      await this.repository.finishRun(runId, 'failed', reason, nowIso());
      await this.recordRunAudit(runId, payload, 'failure');
      if (error instanceof UnifiedError) return 'done';
      throw error;
    }
    await this.repository.finishRun(runId, 'succeeded', null, nowIso());
    await this.recordRunAudit(runId, payload, 'success');
    log.info('unified sync finished');
    return 'done';
  }

  async onGiveUp(): Promise<void> {
    // Each run records its own failure; the job itself has nothing more to mark.
  }

  /** Continues the run an interrupted job left running, or starts a new one. */
  private async openRun(payload: JobPayloads['unified-sync']): Promise<number> {
    return this.repository.db.kysely.transaction().execute(async (trx) => {
      const state = await this.repository.readState(trx);
      if (state.runId !== null) {
        const previous = await trx.selectFrom('unified_sync_runs').select(['id', 'state']).where('id', '=', state.runId).executeTakeFirst();
        if (previous?.state === 'running') return previous.id;
      }
      const now = nowIso();
      const runId = await this.repository.insertRun(trx, payload.trigger, payload.userId, null, now);
      await this.repository.writeState(trx, { ...state, runId }, now);
      return runId;
    });
  }

  private async pull(client: UnifiedClient, runId: number, signal: AbortSignal): Promise<void> {
    const assigned = await this.repository.saveHandlers(await client.fetchHandlers(signal), nowIso());
    if (assigned > 0) this.log.info({ runId, assigned }, 'waiting cases assigned to matched handlers');
    const placeholderId = await this.repository.placeholderUserId();

    // A run that crashed after storing a page but before reading its dossier trees finishes them first.
    await this.readDossierTrees(client, runId, signal);

    for (;;) {
      const state = await this.repository.readState();
      const page = await client.fetchCasePage(state.sinceToken, state.cursor, this.settings.pageSize, signal);
      const prepared = prepareRecords(page.items, { source: 'pull', unitCode: this.settings.unitCode, rejectDuplicates: false });
      await this.repository.db.kysely.transaction().execute(async (trx) => {
        const now = nowIso();
        const result = await new UnifiedWriter(trx, placeholderId, now).apply(prepared.toApply);
        const counts = {
          ...result.counts,
          fetched: page.items.length,
          rejected: result.counts.rejected + prepared.rejectedCases,
          rejectedSuspects: prepared.rejectedSuspects,
        };
        await recordBatch(trx, runId, counts, [...prepared.rejected, ...result.rejected]);
        const next = page.nextCursor === null ? { sinceToken: page.syncToken, cursor: null } : { sinceToken: state.sinceToken, cursor: page.nextCursor };
        await this.repository.writeState(trx, { ...next, runId }, now);
      });
      await this.readDossierTrees(client, runId, signal);
      if (page.nextCursor === null) return;
    }
  }

  /** Reads the 电子卷宗 tree of each changed case and queues a download per new or changed file. */
  private async readDossierTrees(client: UnifiedClient, runId: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      const cases = await this.repository.listDossierPending(DOSSIER_BATCH);
      if (cases.length === 0) return;
      const trees: { caseRow: { id: number; case_number: string }; files: DossierTreeFile[] }[] = [];
      for (const caseRow of cases) {
        try {
          trees.push({ caseRow, files: await client.fetchDossierTree(caseRow.case_number, signal) });
        } catch (error) {
          if (error instanceof UnifiedError && !error.retryable) {
            this.log.warn({ runId, caseId: caseRow.id, reason: error.message }, 'dossier tree not readable; skipped');
            trees.push({ caseRow, files: [] });
            continue;
          }
          throw error;
        }
      }

      await this.repository.db.kysely.transaction().execute(async (trx) => {
        const jobs = new JobRepository({ kysely: trx, dialect: this.repository.db.dialect });
        let queued = 0;
        for (const { caseRow, files } of trees) {
          const stored = await trx
            .selectFrom('dossier_files')
            .select(['external_id', 'sha256'])
            .where('case_id', '=', caseRow.id)
            .where('external_id', 'is not', null)
            .execute();
          const have = new Set(stored.map((row) => `${row.external_id}:${row.sha256}`));
          for (const file of files) {
            if (have.has(`${file.wjbh}:${file.sha256}`)) continue;
            // Deduplicated by (文件编号, SHA-256): a file already queued is not queued again, a failed one is retried.
            const isQueued = await jobs.enqueueUnlessActive(
              'dossier-fetch',
              `dossier-fetch:${file.wjbh}:${file.sha256}`,
              {
                caseId: caseRow.id,
                fileId: file.wjbh,
                sha256: file.sha256,
                name: file.wjmc,
                folderPath: [file.jzmc, file.mlmc].filter(Boolean).join('/'),
                size: file.wjdx,
                // Without a gxsj the time the tree was read orders the versions.
                versionAt: file.versionAt ?? nowIso(),
              },
              { runAfter: nowIso(), maxAttempts: 6 },
            );
            if (isQueued) queued += 1;
          }
        }
        await trx
          .updateTable('cases')
          .set({ dossier_pending: 0 })
          .where(
            'id',
            'in',
            cases.map((row) => row.id),
          )
          .execute();
        await recordBatch(trx, runId, { created: 0, updated: 0, deleted: 0, rejected: 0, rejectedSuspects: 0, fetched: 0, dossierFiles: queued }, []);
      });
      this.onJobQueued();
    }
  }

  private async recordRunAudit(runId: number, payload: JobPayloads['unified-sync'], result: 'success' | 'failure'): Promise<void> {
    const run = await this.repository.findRun(runId);
    await this.audit.record({
      userId: null,
      username: null,
      role: null,
      clientIp: null,
      action: 'unified.sync',
      targetType: 'unified_sync_run',
      targetId: runId,
      result,
      details: run
        ? {
            trigger: payload.trigger,
            requestedBy: payload.userId,
            fetched: run.fetched,
            created: run.created,
            updated: run.updated,
            deleted: run.deleted,
            rejected: run.rejected,
            rejectedSuspects: run.rejected_suspects,
            dossierFiles: run.dossier_files,
            error: run.error,
          }
        : { trigger: payload.trigger },
    });
  }
}

/** A rejected row as the page shows it; `fieldName` is the Chinese name of the 2.0 field. */
export interface RejectedRowView {
  sheet: string | null;
  rowNumber: number | null;
  reference: string;
  field: string;
  fieldName: string;
  reason: string;
}

export function toRejectedRowView(row: UnifiedRejectedRow): RejectedRowView {
  return {
    sheet: row.sheet,
    rowNumber: row.row_number,
    reference: row.reference,
    field: row.field,
    fieldName: fieldNames[row.field] ?? row.field,
    reason: row.reason,
  };
}

export function toRunView(row: {
  id: number;
  trigger: string;
  triggered_by_name?: string | null;
  file_name: string | null;
  started_at: string;
  finished_at: string | null;
  state: string;
  fetched: number;
  created: number;
  updated: number;
  deleted: number;
  rejected: number;
  rejected_suspects: number;
  dossier_files: number;
  error: string | null;
}): RunView {
  return {
    id: row.id,
    trigger: row.trigger,
    triggeredBy: row.triggered_by_name ?? null,
    fileName: row.file_name,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    state: row.state,
    fetched: Number(row.fetched),
    created: Number(row.created),
    updated: Number(row.updated),
    deleted: Number(row.deleted),
    rejected: Number(row.rejected),
    rejectedSuspects: Number(row.rejected_suspects),
    dossierFiles: Number(row.dossier_files),
    error: row.error,
  };
}
