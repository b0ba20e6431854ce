import { AsyncLocalStorage } from 'node:async_hooks';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server, type Upload } from '@tus/server';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, errorCatalogue, type ErrorCode } from '../../lib/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { OffsiteService } from './offsite.service.js';
import { probeVideo } from './video-probe.js';

export const TUS_PATH = '/api/uploads';

/** The logged-in user of the HTTP request that tus is handling, set by the route around `handle`. */
export interface UploadRequestContext {
  user: AuthUser;
  clientIp: string;
}

/** A tus hook error: @tus/server sends `status_code` and `body` to the client. */
function hookError(code: ErrorCode, message?: string): { status_code: number; body: string } {
  return { status_code: errorCatalogue[code].status, body: JSON.stringify({ code, message: message ?? errorCatalogue[code].message }) };
}

function toHookError(error: unknown): unknown {
  return error instanceof AppError ? hookError(error.code, error.message) : error;
}

/**
 * Resumable video uploads of 非办案区同录 over the tus 1.0 protocol (@tus/server with a file store in
 * incoming/tus). The metadata names the session (`sessionId`) and the file (`filename`). Creating an upload
 * checks the session, and a finished upload is probed by content: anything that is not a video is deleted
 * and rejected with 415.
 */
export class TusUploads {
  readonly context = new AsyncLocalStorage<UploadRequestContext>();
  readonly directory: string;
  readonly server: Server;

  constructor(
    directory: string,
    private readonly offsite: OffsiteService,
    private readonly audit: AuditService,
    private readonly ffprobePath: string,
    maxBytes: number,
    private readonly log: FastifyBaseLogger,
    private readonly expiryHours = 0,
  ) {
    this.directory = directory;
    this.server = new Server({
      path: TUS_PATH,
      datastore: new FileStore({ directory: this.directory }),
      maxSize: maxBytes,
      relativeLocation: true,
      onUploadCreate: async (_request, upload) => this.onCreate(upload),
      onUploadFinish: async (_request, upload) => this.onFinish(upload),
      onResponseError: (_request, error) => this.describeError(error),
    });
  }

  /** Absolute path of an upload's bytes in the file store. */
  filePath(uploadId: string): string {
    return path.join(this.directory, uploadId);
  }

  /** Deletes abandoned uploads (unfinished past the expiry); returns how many. Finished uploads are kept. */
  async removeExpired(now = Date.now()): Promise<number> {
    if (this.expiryHours <= 0) return 0;
    const stale = await this.offsite.findUnfinishedUploadsBefore(new Date(now - this.expiryHours * 3_600_000).toISOString());
    for (const row of stale) {
      await this.offsite.deleteUploadRow(row.upload_id);
      await this.removeFiles(row.upload_id);
    }
    if (stale.length > 0) this.log.info({ removed: stale.map((row) => ({ sessionId: row.session_id, uploadId: row.upload_id })) }, 'removed abandoned uploads');
    return stale.length;
  }

  /** Runs removeExpired() now and then every hour until the returned function is called. */
  startExpiryTimer(intervalMs = 3_600_000): () => void {
    const run = (): void => {
      this.removeExpired().catch((error: unknown) => this.log.error({ err: error }, 'could not remove abandoned uploads'));
    };
    run();
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Deletes an upload's bytes and its tus metadata file. */
  async removeFiles(uploadId: string): Promise<void> {
    await rm(this.filePath(uploadId), { force: true });
    await rm(`${this.filePath(uploadId)}.json`, { force: true });
  }

  /** Replaces @tus/server's English protocol errors with the API's `{ code, message }` in Chinese. */
  private describeError(error: Error | { status_code: number; body: string }): { status_code: number; body: string } | undefined {
    if (!('status_code' in error) || error.body.startsWith('{')) return undefined;
    if (error.status_code === 413) return hookError('VIDEO_TOO_LARGE');
    if (error.status_code === 404) return hookError('FILE_NOT_FOUND');
    if (error.status_code === 409) return { status_code: 409, body: JSON.stringify({ code: 'UPLOAD_OFFSET_MISMATCH', message: '上传进度与服务器不一致，请重新选择文件继续上传。' }) };
    if (error.status_code >= 500) {
      this.log.error({ status: error.status_code, reason: error.body }, 'tus upload failed');
      return { status_code: error.status_code, body: JSON.stringify({ code: 'INTERNAL', message: errorCatalogue.INTERNAL.message }) };
    }
    return { status_code: error.status_code, body: JSON.stringify({ code: 'BAD_REQUEST', message: '上传请求格式不正确，请刷新页面后重试。' }) };
  }

  private requestContext(): UploadRequestContext {
    const context = this.context.getStore();
    if (!context) throw new Error('tus hook ran outside an authenticated request');
    return context;
  }

  private async onCreate(upload: Upload): Promise<{ metadata?: Upload['metadata'] }> {
    const { user } = this.requestContext();
    const sessionId = Number(upload.metadata?.sessionId);
    const fileName = (upload.metadata?.filename ?? '').split(/[\\/]/).pop()?.trim() ?? '';
    if (!Number.isInteger(sessionId) || sessionId < 1) throw hookError('VALIDATION_FAILED', '上传请求缺少同录记录编号，请刷新页面后重试。');
    if (!fileName || fileName.length > 200) throw hookError('VALIDATION_FAILED', '视频文件名为空或超过 200 个字符，请改名后再上传。');
    if (upload.size === undefined) throw hookError('VALIDATION_FAILED', '上传请求必须声明文件大小（Upload-Length）。');

    try {
      await this.offsite.getOpenSession(user, sessionId);
      await this.offsite.registerUpload(user, sessionId, upload.id, fileName, upload.size);
    } catch (error) {
      throw toHookError(error);
    }
    return { metadata: upload.metadata };
  }

  private async onFinish(upload: Upload): Promise<Record<string, never>> {
    const { user, clientIp } = this.requestContext();
    const row = await this.offsite.findUpload(upload.id);
    if (!row) throw hookError('FILE_NOT_FOUND');

    const probe = await probeVideo(this.ffprobePath, this.filePath(upload.id));
    if (!probe) {
      await this.offsite.deleteUploadRow(upload.id);
      await this.removeFiles(upload.id);
      this.log.warn({ sessionId: row.session_id, uploadId: upload.id, fileName: row.file_name }, 'off-site upload rejected: not a video');
      await this.audit.record({
        userId: user.id,
        username: user.username,
        clientIp,
        action: 'offsite.video.upload',
        targetType: 'session',
        targetId: row.session_id,
        result: 'failure',
        details: { fileName: row.file_name, reason: 'not a video' },
      });
      throw hookError('NOT_A_VIDEO', `文件“${row.file_name}”不是视频文件（按文件内容识别），已拒收。请选择同录视频后重新上传。`);
    }
    await this.offsite.markUploaded(user, clientIp, row, { formatName: probe.formatName, durationMs: Math.round(probe.durationSeconds * 1000), codec: probe.codec });
    return {};
  }
}
