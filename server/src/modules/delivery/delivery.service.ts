import type { FastifyBaseLogger } from 'fastify';
import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database, DeliveryRow } from '../../db/schema.js';
import { AppError, invalid } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import { isCaseAdmin, type AuthUser } from '../auth/auth.types.js';
import type { CaseService } from '../cases/case.service.js';
import { JobRepository } from '../jobs/job.repository.js';
import { buildPackage } from './delivery-manifest.js';
import type { DeliveryListRow, DeliveryRepository, DeliverySortKey } from './delivery.repository.js';

export interface DeliverySettings {
  /** http, folder or off. */
  mode: string;
  site: string;
  maxAttempts: number;
}

export const deliveryStateLabels: Record<string, string> = {
  queued: '排队中',
  /** An attempt failed and the job waits for its next run. */
  retrying: '等待重试',
  sending: '推送中',
  delivered: '已推送',
  failed: '推送失败',
  skipped: '不推送',
};

export const deliveryKindLabels: Record<string, string> = { session: '首次推送', supplement: '资料补充' };

export const deliveryStates = Object.keys(deliveryStateLabels);

/** One package as the 易办案推送 page and the session details show it. */
export interface DeliveryView {
  id: number;
  packageId: string;
  sessionId: number;
  kind: string;
  kindLabel: string;
  followsPackageId: string | null;
  mode: string;
  state: string;
  stateLabel: string;
  bytesTotal: number;
  bytesSent: number;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  receiptId: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  /** Whether the caller may press 重试 on this package. */
  canRetry: boolean;
}

export interface DeliveryListItem extends DeliveryView {
  caseId: number;
  caseName: string;
  caseNumber: string;
  suspectName: string;
}

/** 易办案 status of one session in 详细资料: its packages, or why it has none. */
export interface SessionDeliveryStatus {
  /** A package state, or skipped (不推送), disabled (未启用) or waiting (归档后推送) while the session has no package. */
  state: string;
  stateLabel: string;
  packages: DeliveryView[];
}

export interface DeliveryQuery {
  state?: string;
  caseName?: string;
  caseNumber?: string;
  sortBy?: DeliverySortKey;
  order?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
}

const sessionOnlyLabels: Record<string, string> = { disabled: '未启用', waiting: '归档后推送' };

/**
 * The 易办案 packages: created with the session's archive (in its transaction) and for documents added later,
 * listed for admins and per session, and queued again by 重试. The transfer itself is DeliveryJob's.
 */
export class DeliveryService {
  constructor(
    private readonly db: Db,
    private readonly repository: DeliveryRepository,
    private readonly caseService: CaseService,
    private readonly audit: AuditService,
    private readonly settings: DeliverySettings,
    private readonly onJobQueued: () => void,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * Freezes the session's package inside the transaction that marks the session archived, and queues its
   * delivery job there too. A session ended without the 易办案 tick gets a `skipped` record and no job.
   * Runs again harmlessly: a session has at most one session package.
   */
  async planSessionPackage(trx: Transaction<Database>, sessionId: number): Promise<void> {
    if (this.settings.mode === 'off') return;
    const existing = await this.repository.listForSession(trx, sessionId);
    if (existing.length > 0) return;
    const source = await this.repository.findPackageSource(trx, sessionId);
    if (!source) return;

    const files = await this.repository.listSessionFiles(trx, sessionId, false);
    const planned = buildPackage(this.settings.site, source, 1, null, files, nowIso());
    const state = source.uploadToYibanan ? 'queued' : 'skipped';
    const deliveryId = await this.repository.insertPackage(trx, sessionId, planned, this.settings.mode, state);
    if (deliveryId === undefined || state === 'skipped') return;
    await this.enqueue(trx, deliveryId, planned.packageId);
    this.log.info({ sessionId, deliveryId, packageId: planned.packageId, files: planned.files.length, bytes: planned.bytesTotal }, 'delivery package created');
  }

  /**
   * Creates the next supplement package from the session's documents that no package lists yet (资料补充).
   * Waits while any package of the session is not delivered, so one supplement is open at a time and each
   * follows a package the receiver has accepted. Pass `trx` to run inside the caller's transaction.
   */
  async planSupplement(sessionId: number, trx?: Transaction<Database>): Promise<void> {
    if (this.settings.mode === 'off') return;
    const run = async (transaction: Transaction<Database>): Promise<boolean> => {
      const packages = await this.repository.listForSession(transaction, sessionId);
      const last = packages[packages.length - 1];
      if (!last || packages.some((item) => item.state !== 'delivered')) return false;
      const source = await this.repository.findPackageSource(transaction, sessionId);
      if (!source?.uploadToYibanan) return false;
      const files = await this.repository.listSessionFiles(transaction, sessionId, true);
      if (files.length === 0) return false;

      const planned = buildPackage(this.settings.site, source, last.seq + 1, last.package_id, files, nowIso());
      const deliveryId = await this.repository.insertPackage(transaction, sessionId, planned, this.settings.mode, 'queued');
      // Another upload planned the same supplement at the same moment; this document waits for the next one.
      if (deliveryId === undefined) return false;
      await this.enqueue(transaction, deliveryId, planned.packageId);
      this.log.info({ sessionId, deliveryId, packageId: planned.packageId, files: planned.files.length }, 'supplement package created');
      return true;
    };
    const isCreated = trx ? await run(trx) : await this.db.kysely.transaction().execute(run);
    if (isCreated && !trx) this.onJobQueued();
  }

  /**
   * Plans a supplement after a 资料补充 upload. The document is stored already, so a failure here is logged and
   * the document waits for the next package of its session.
   */
  async onDocumentAdded(sessionId: number): Promise<void> {
    try {
      await this.planSupplement(sessionId);
    } catch (error) {
      this.log.error({ err: error, sessionId }, 'planning a supplement package failed');
    }
  }

  async list(user: AuthUser, query: DeliveryQuery): Promise<{ items: DeliveryListItem[]; total: number }> {
    if (query.state && !deliveryStates.includes(query.state)) throw invalid('推送状态无效，请从列表中选择。');
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { rows, total } = await this.repository.list({
      state: query.state,
      caseName: query.caseName?.trim(),
      caseNumber: query.caseNumber?.trim(),
      sortBy: query.sortBy ?? 'createdAt',
      order: query.order ?? 'desc',
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
    return { items: rows.map((row) => this.toListItem(row, user)), total };
  }

  /**
   * 重试 of a failed package: a new round of attempts that resumes from the receiver's offsets. System admins may retry
   * any package; the case's handler may retry the packages of the case. Others get "not found" or 403.
   */
  async retry(user: AuthUser, clientIp: string, deliveryId: number): Promise<DeliveryListItem> {
    const row = await this.repository.find(deliveryId);
    const caseRef = row ? { id: row.case_id, handler_id: row.case_handler_id } : null;
    if (!row || !caseRef || !(await this.caseService.canView(user, caseRef))) throw new AppError('DELIVERY_NOT_FOUND');
    if (!this.canRetry(user, row)) throw new AppError('DELIVERY_RETRY_FORBIDDEN');
    if (row.state !== 'failed') throw new AppError('DELIVERY_NOT_FAILED');

    await this.db.kysely.transaction().execute(async (trx) => {
      await this.repository.update(trx, row.id, { state: 'queued', attempts: 0, last_error: null });
      await this.enqueue(trx, row.id, row.package_id);
      await new JobRepository({ kysely: trx, dialect: this.db.dialect }).requeue(jobKey(row.package_id), nowIso());
      await this.audit.record(
        { userId: user.id, username: user.username, clientIp, action: 'delivery.retry', targetType: 'delivery', targetId: row.id, result: 'success', details: { packageId: row.package_id, sessionId: row.session_id } },
        trx,
      );
    });
    this.onJobQueued();
    this.log.info({ deliveryId: row.id, packageId: row.package_id, userId: user.id }, 'delivery queued again by 重试');

    const updated = await this.repository.find(row.id);
    if (!updated) throw new AppError('DELIVERY_NOT_FOUND');
    return this.toListItem(updated, user);
  }

  /** Returns the 易办案 status of each session, keyed by session id, for the case's session list. */
  async statusOfSessions(
    user: AuthUser,
    caseRef: { handler_id: number },
    sessions: { id: number; uploadToYibanan: boolean }[],
  ): Promise<Map<number, SessionDeliveryStatus>> {
    const rows = await this.repository.listForSessions(sessions.map((session) => session.id));
    const result = new Map<number, SessionDeliveryStatus>();
    for (const session of sessions) {
      const packages = rows.filter((row) => row.session_id === session.id).map((row) => this.toView(row, this.canRetry(user, { case_handler_id: caseRef.handler_id })));
      const latest = packages[packages.length - 1];
      let state: string;
      if (latest) state = latest.state;
      else if (!session.uploadToYibanan) state = 'skipped';
      else if (this.settings.mode === 'off') state = 'disabled';
      else state = 'waiting';
      result.set(session.id, { state, stateLabel: deliveryStateLabels[state] ?? sessionOnlyLabels[state] ?? state, packages });
    }
    return result;
  }

  private canRetry(user: AuthUser, row: Pick<DeliveryListRow, 'case_handler_id'>): boolean {
    return isCaseAdmin(user) || row.case_handler_id === user.id;
  }

  private async enqueue(trx: Transaction<Database>, deliveryId: number, packageId: string): Promise<void> {
    await new JobRepository({ kysely: trx, dialect: this.db.dialect }).enqueue('delivery', jobKey(packageId), { deliveryId }, { runAfter: nowIso(), maxAttempts: this.settings.maxAttempts });
  }

  /** `mayRetry` is whether the caller may retry packages of this case. The view allows it only on a failed package. */
  private toView(row: DeliveryRow, mayRetry: boolean): DeliveryView {
    return {
      id: row.id,
      packageId: row.package_id,
      sessionId: row.session_id,
      kind: row.kind,
      kindLabel: deliveryKindLabels[row.kind] ?? row.kind,
      followsPackageId: row.follows_package_id,
      mode: row.mode,
      state: row.state,
      stateLabel: deliveryStateLabels[row.state] ?? row.state,
      bytesTotal: Number(row.bytes_total),
      bytesSent: Number(row.bytes_sent),
      attempts: row.attempts,
      maxAttempts: this.settings.maxAttempts,
      lastError: row.last_error,
      receiptId: row.receipt_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      deliveredAt: row.delivered_at,
      canRetry: row.state === 'failed' && mayRetry,
    };
  }

  private toListItem(row: DeliveryListRow, user: AuthUser): DeliveryListItem {
    return {
      ...this.toView(row, this.canRetry(user, row)),
      caseId: row.case_id,
      caseName: row.case_name,
      caseNumber: row.case_number,
      suspectName: row.suspect_name,
    };
  }
}

/** Job dedupe key of a package: one delivery job per package id, ever. */
export function jobKey(packageId: string): string {
  return `delivery:${packageId}`;
}
