import { stat } from 'node:fs/promises';
import type { FastifyBaseLogger } from 'fastify';
import { dropPackage, OutboxConflictError } from '../../adapters/yibanan/yibanan-folder.js';
import { LOCAL_READ_FAILED, YibananHttpError, YibananTransportError, type ReceiverPackageStatus, type YibananHttpClient } from '../../adapters/yibanan/yibanan-http.client.js';
import type { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Db } from '../../db/database.js';
import { addSeconds, nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import { PermanentJobError, type JobContext, type JobHandler, type JobOutcome } from '../jobs/job.types.js';
import { retryDelaySeconds } from '../jobs/job.worker.js';
import { findReceiptMismatch, toChinaTime } from './delivery-manifest.js';
import { ThrottledProgress } from './delivery-progress.js';
import type { DeliveryFileSource, DeliveryListRow, DeliveryRepository } from './delivery.repository.js';
import type { DeliveryService } from './delivery.service.js';

export interface DeliveryJobSettings {
  /** Bytes per PATCH request. */
  chunkBytes: number;
  /** Folder of folder mode. */
  outbox: string;
  retryBaseSeconds: number;
}

/** A failure that a later attempt may fix, whose message is already the Chinese reason. */
export class DeliveryAttemptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryAttemptError';
  }
}

/** Returns whether the contract retries the status: timeouts, rate limits and server errors. Other 4xx stay the same on retry. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Chinese reasons of socket error codes. The English text of the error stays in the server log only. */
const networkFailures: Record<string, string> = {
  ECONNREFUSED: '无法连接易办案系统（连接被拒绝），请检查网络或联系易办案管理员。',
  ETIMEDOUT: '易办案系统长时间没有响应（连接超时），请检查网络或联系易办案管理员。',
  ECONNRESET: '与易办案系统的连接意外中断，请检查网络或联系易办案管理员。',
  EPIPE: '与易办案系统的连接意外中断，请检查网络或联系易办案管理员。',
  EHOSTUNREACH: '无法连接易办案系统（网络不可达），请检查网络或联系易办案管理员。',
  ENETUNREACH: '无法连接易办案系统（网络不可达），请检查网络或联系易办案管理员。',
  ENOTFOUND: '无法解析易办案系统的地址，请核对服务器设置 TONGLU_YIBANAN_URL。',
  EAI_AGAIN: '无法解析易办案系统的地址，请核对服务器设置 TONGLU_YIBANAN_URL。',
};

/** Returns the Chinese reason of a network failure, by the socket error code when there is one. */
function describeTransportFailure(error: YibananTransportError): string {
  if (error.isBadResponse) return '易办案返回的数据不符合接口约定，请联系易办案管理员。';
  const code = error.code ?? '';
  if (networkFailures[code]) return networkFailures[code];
  if (/CERT|TLS|SSL/.test(code)) return '易办案系统的 HTTPS 证书校验失败，请联系易办案管理员。';
  if (code === LOCAL_READ_FAILED) return '读取本地存储中的文件失败，请联系系统管理员校验存储。';
  return '与易办案系统通信失败，请检查网络或联系易办案管理员。';
}

/** Drops the final full stop of a receiver message, so it ends cleanly inside our brackets. */
function trimSentenceEnd(text: string): string {
  return text.trim().replace(/[。．.！!；;，,\s]+$/u, '');
}

/** Turns any failure of a run into the Chinese sentence stored on the package. */
export function describeDeliveryFailure(error: unknown): string {
  if (error instanceof PermanentJobError || error instanceof DeliveryAttemptError) return error.message;
  if (error instanceof YibananHttpError) {
    const receiverMessage = error.receiverMessage ? trimSentenceEnd(error.receiverMessage) : '';
    const detail = receiverMessage ? `：${receiverMessage}` : '';
    if (error.status === 401) return '易办案拒绝了访问令牌（HTTP 401），请核对服务器设置 TONGLU_YIBANAN_TOKEN。';
    // The receiver's message follows the status and not inside its brackets, because it may contain brackets itself.
    if (isRetryableStatus(error.status)) return `易办案系统暂时无法处理（HTTP ${error.status}）${detail}。`;
    return `易办案拒收推送包（HTTP ${error.status}）${detail}。`;
  }
  if (error instanceof YibananTransportError) return describeTransportFailure(error);
  if (error instanceof OutboxConflictError) return `推送目录中已有编号为 ${error.packageId} 但清单不同的推送包，请联系网闸管理员核对。`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return '推送目录所在磁盘已满，请清理后重试。';
  if (code === 'EACCES' || code === 'EPERM') return '没有推送目录的写入权限，请检查 TONGLU_YIBANAN_OUTBOX 的权限。';
  return '推送时发生内部错误，请联系系统管理员查看服务日志。';
}

/** Failures that another attempt cannot fix become PermanentJobError, so the worker stops at once. */
function classify(error: unknown): Error {
  if (error instanceof PermanentJobError) return error;
  if (error instanceof YibananHttpError && !isRetryableStatus(error.status)) return new PermanentJobError(describeDeliveryFailure(error), { cause: error });
  if (error instanceof OutboxConflictError) return new PermanentJobError(describeDeliveryFailure(error), { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/** How many times one run sends a file again after the receiver discarded it for a hash or size mismatch. */
const MAX_FILE_RESENDS = 2;

/**
 * The `delivery` job: sends one package to 易办案 over HTTP (resumable chunks, then commit and receipt check) or
 * drops it into the outbox folder. The package id is fixed and the receiver's commit is idempotent, so a crash at
 * any moment, even between the commit and our update, ends in one accepted package.
 */
export class DeliveryJob implements JobHandler<'delivery'> {
  readonly type = 'delivery' as const;
  readonly retryBaseSeconds: number;

  constructor(
    private readonly db: Db,
    private readonly repository: DeliveryRepository,
    private readonly deliveries: DeliveryService,
    private readonly client: YibananHttpClient | null,
    private readonly storage: StorageLayout,
    private readonly audit: AuditService,
    private readonly settings: DeliveryJobSettings,
    private readonly log: FastifyBaseLogger,
  ) {
    this.retryBaseSeconds = settings.retryBaseSeconds;
  }

  async run(payload: { deliveryId: number }, context: JobContext): Promise<JobOutcome> {
    const delivery = await this.repository.find(payload.deliveryId);
    if (!delivery || delivery.state === 'skipped') return 'skipped';
    if (delivery.state === 'delivered') return 'done';
    const log = this.log.child({ deliveryId: delivery.id, packageId: delivery.package_id, sessionId: delivery.session_id, jobId: context.jobId });
    await this.repository.update(this.db.kysely, delivery.id, { state: 'sending', attempts: context.attempt });

    try {
      const files = await this.repository.listFileSources(delivery.id);
      await this.checkLocalFiles(files);
      const receiptId = delivery.mode === 'folder' ? await this.dropIntoOutbox(delivery, files, context.signal, log) : await this.upload(delivery, files, context.signal, log);
      await this.markDelivered(delivery, receiptId);
      log.info({ receiptId, bytes: Number(delivery.bytes_total) }, 'package delivered');
      return 'done';
    } catch (error) {
      if (context.signal.aborted) throw error;
      const failure = classify(error);
      const remaining = context.maxAttempts - context.attempt;
      log.warn({ err: error, attempt: context.attempt, remaining }, 'delivery attempt failed');
      if (!(failure instanceof PermanentJobError) && remaining > 0) {
        // The worker schedules the next attempt with the same delay, so the time shown matches the job's run_after.
        const nextAttemptAt = toChinaTime(addSeconds(nowIso(), retryDelaySeconds(this.retryBaseSeconds, context.attempt))).slice(0, 19).replace('T', ' ');
        const reason = `第 ${context.attempt} 次推送失败：${describeDeliveryFailure(error)}系统将于 ${nextAttemptAt} 进行第 ${context.attempt + 1} 次推送（共 ${context.maxAttempts} 次）。`;
        await this.repository.update(this.db.kysely, delivery.id, { state: 'retrying', last_error: reason });
      }
      throw failure;
    }
  }

  /** Closes the receiver connections kept alive between requests. */
  close(): void {
    this.client?.close();
  }

  async onGiveUp(payload: { deliveryId: number }, error: unknown): Promise<void> {
    const suffix = error instanceof PermanentJobError ? '请排除故障后，由案件承办人或系统管理员点击“重试”。' : '自动重试已用完，请排除故障后，由案件承办人或系统管理员点击“重试”。';
    const reason = `${describeDeliveryFailure(error)}${suffix}`;
    await this.db.kysely.transaction().execute(async (trx) => {
      await this.repository.update(trx, payload.deliveryId, { state: 'failed', last_error: reason });
      await this.audit.record(
        { userId: null, username: null, role: null, clientIp: null, action: 'delivery.failed', targetType: 'delivery', targetId: payload.deliveryId, result: 'failure', details: { reason } },
        trx,
      );
    });
  }

  /** A stored file that is gone or changed size cannot be sent, and retrying will not bring it back. */
  private async checkLocalFiles(files: DeliveryFileSource[]): Promise<void> {
    for (const file of files) {
      const info = await stat(this.storage.absolute(file.stored_path)).catch(() => null);
      if (!info || info.size !== file.size) {
        throw new PermanentJobError(`本地存储中的文件“${file.path}”缺失或大小与登记不符，无法推送，请联系系统管理员校验存储。`);
      }
    }
  }

  private async upload(delivery: DeliveryListRow, files: DeliveryFileSource[], signal: AbortSignal, log: FastifyBaseLogger): Promise<string> {
    if (!this.client) throw new PermanentJobError('服务器未设置易办案地址（TONGLU_YIBANAN_URL），无法通过网络推送。');
    const client = this.client;
    const packageId = delivery.package_id;

    const announced = await client.announce(packageId, Buffer.from(delivery.manifest, 'utf8'), signal).catch((error: unknown) => {
      if (error instanceof YibananHttpError && error.status === 409) {
        throw new PermanentJobError(`易办案中已有编号为 ${packageId} 但清单不同的推送包，请联系易办案管理员核对。`, { cause: error });
      }
      throw error;
    });
    let status = announced.status;
    log.info({ isNew: announced.isNew, receiverState: status.state }, 'manifest announced');

    if (status.state !== 'accepted') {
      for (const file of files) status = await this.uploadFile(delivery, file, files, status, signal, log);
    }

    const receipt = await client.commit(packageId, signal);
    const mismatch = findReceiptMismatch(files, receipt.files);
    if (mismatch) throw new PermanentJobError(mismatch);
    return receipt.receiptId;
  }

  /** Sends one file from the receiver's offset in chunks and returns the receiver's status afterwards. */
  private async uploadFile(
    delivery: DeliveryListRow,
    file: DeliveryFileSource,
    files: DeliveryFileSource[],
    initial: ReceiverPackageStatus,
    signal: AbortSignal,
    log: FastifyBaseLogger,
  ): Promise<ReceiverPackageStatus> {
    const client = this.client as YibananHttpClient;
    const sourcePath = this.storage.absolute(file.stored_path);
    let status = initial;
    let resends = 0;

    for (;;) {
      const remote = status.files[file.position];
      if (!remote) throw new YibananTransportError(`package status has no file ${file.position}`, true);
      if (remote.complete) return status;
      const offset = remote.received;
      const length = Math.min(this.settings.chunkBytes, file.size - offset);
      if (length <= 0) throw new YibananTransportError(`receiver reports ${offset} of ${file.size} bytes of ${file.path} received but the file incomplete`, true);

      const progress = new ThrottledProgress((bytes) => this.repository.saveProgress(delivery.id, bytes), log);
      const before = sumReceived(status, files);
      // Bytes read into the request are at most `length`, and one byte is held back until the receiver confirms the chunk.
      const onRead = (bytes: number) => progress.report(before + Math.min(bytes, length - 1));
      const result = await client.sendChunk(delivery.package_id, file.position, sourcePath, offset, length, signal, onRead).finally(() => progress.stop());
      await progress.settled();
      if (result.kind === 'accepted') {
        remote.received = result.offset;
        remote.complete = result.offset >= file.size;
        await this.repository.saveProgress(delivery.id, sumReceived(status, files));
        continue;
      }
      if (result.kind === 'file-rejected') {
        resends += 1;
        log.warn({ path: file.path, resends, receiverMessage: result.message }, 'receiver discarded the file after its hash check; sending it again');
        if (resends > MAX_FILE_RESENDS) {
          throw new DeliveryAttemptError(`易办案多次校验文件“${file.path}”失败（SHA-256 或大小与清单不符），请联系系统管理员校验本地存储。`);
        }
      } else {
        log.info({ path: file.path, ourOffset: offset, receiverOffset: result.offset }, 'offset mismatch; reading the receiver status');
      }
      const fresh = await client.getStatus(delivery.package_id, signal);
      if (!fresh) throw new YibananTransportError('receiver no longer knows the package', true);
      status = fresh;
    }
  }

  private async dropIntoOutbox(delivery: DeliveryListRow, files: DeliveryFileSource[], signal: AbortSignal, log: FastifyBaseLogger): Promise<null> {
    if (!this.settings.outbox) throw new PermanentJobError('服务器未设置推送目录（TONGLU_YIBANAN_OUTBOX），无法以目录方式推送。');
    const result = await dropPackage(
      this.settings.outbox,
      delivery.package_id,
      Buffer.from(delivery.manifest, 'utf8'),
      delivery.manifest_sha256,
      files.map((file) => ({ path: file.path, sourcePath: this.storage.absolute(file.stored_path) })),
      (bytes) => this.repository.saveProgress(delivery.id, bytes),
      signal,
    );
    log.info({ result }, 'package dropped into the outbox');
    return null;
  }

  /** Marks the package delivered and plans the next supplement in one transaction. */
  private async markDelivered(delivery: DeliveryListRow, receiptId: string | null): Promise<void> {
    const now = nowIso();
    await this.db.kysely.transaction().execute(async (trx) => {
      await this.repository.update(trx, delivery.id, { state: 'delivered', bytes_sent: Number(delivery.bytes_total), last_error: null, receipt_id: receiptId, delivered_at: now });
      await this.audit.record(
        {
          userId: null,
          username: null,
          role: null,
          clientIp: null,
          action: 'delivery.delivered',
          targetType: 'delivery',
          targetId: delivery.id,
          result: 'success',
          details: { packageId: delivery.package_id, sessionId: delivery.session_id, receiptId, bytes: Number(delivery.bytes_total) },
        },
        trx,
      );
      await this.deliveries.planSupplement(delivery.session_id, trx);
    });
  }
}

function sumReceived(status: ReceiverPackageStatus, files: DeliveryFileSource[]): number {
  return files.reduce((sum, file) => sum + Math.min(status.files[file.position]?.received ?? 0, file.size), 0);
}
