import type { Db } from '../../db/database.js';
import type { OffsiteUploadRow } from '../../db/schema.js';
import { AppError, invalid } from '../../lib/errors.js';
import { addSeconds, nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { CaseRepository } from '../cases/case.repository.js';
import type { CaseService } from '../cases/case.service.js';
import { JobRepository } from '../jobs/job.repository.js';
import type { SessionDetailRow } from '../sessions/session.repository.js';
import type { SessionService } from '../sessions/session.service.js';
import type { SessionView } from '../sessions/session.view.js';

export const OFFSITE_KIND = 'off-site';

export interface OffsiteUploadView {
  id: number;
  uploadId: string;
  fileName: string;
  size: number;
  /** uploading: bytes still missing; uploaded: complete and probed as video; archived: moved into the archive. */
  state: string;
  formatName: string | null;
  durationMs: number | null;
  codec: string | null;
  createdAt: string;
}

export interface OffsiteSettings {
  archiveMaxAttempts: number;
}

/** Tolerance for a client clock slightly ahead of the server when checking that the end time is not in the future. */
const FUTURE_TOLERANCE_SECONDS = 300;

/**
 * 非办案区同录: a session without a room whose video files are uploaded by the officer. The entered start and
 * end times are stored as started_at and ended_at at once, and the state stays `recording` until 结束办案,
 * which queues the off-site archive job.
 */
export class OffsiteService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionService,
    private readonly caseRepository: CaseRepository,
    private readonly caseService: CaseService,
    private readonly audit: AuditService,
    private readonly settings: OffsiteSettings,
    private readonly onJobQueued: () => void,
  ) {}

  async start(user: AuthUser, clientIp: string, input: { caseId: number; suspectId: number; startedAt: string; endedAt: string }): Promise<SessionView> {
    const startedAt = parseTime(input.startedAt, '开始时间');
    const endedAt = parseTime(input.endedAt, '结束时间');
    if (endedAt <= startedAt) throw invalid('结束时间必须晚于开始时间，请重新填写。');
    if (endedAt > addSeconds(nowIso(), FUTURE_TOLERANCE_SECONDS)) throw invalid('结束时间不能晚于当前时间，请重新填写。');

    await this.caseService.getRecordable(user, input.caseId);
    const suspect = await this.caseRepository.findSuspect(input.suspectId);
    if (!suspect || suspect.case_id !== input.caseId) throw new AppError('SUSPECT_NOT_IN_CASE');

    const now = nowIso();
    const inserted = await this.db.kysely
      .insertInto('recording_sessions')
      .values({
        case_id: input.caseId,
        suspect_id: input.suspectId,
        kind: OFFSITE_KIND,
        room_id: null,
        operator_id: user.id,
        started_at: startedAt,
        ended_at: endedAt,
        clock_offset_ms: 0,
        upload_to_yibanan: 1,
        state: 'recording',
        failure_reason: null,
        gaps: '[]',
        archive_attempts: 0,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'offsite.start',
      targetType: 'session',
      targetId: inserted.id,
      result: 'success',
      details: { caseId: input.caseId, suspectId: input.suspectId, startedAt, endedAt },
    });
    return this.sessions.view(await this.sessions.getVisible(user, inserted.id));
  }

  /** Returns the off-site session when the user may see it and it still accepts uploads, else throws. */
  async getOpenSession(user: AuthUser, sessionId: number): Promise<SessionDetailRow> {
    const session = await this.sessions.getVisible(user, sessionId);
    if (session.kind !== OFFSITE_KIND) throw new AppError('SESSION_NOT_FOUND');
    if (session.state !== 'recording') throw new AppError('SESSION_NOT_ACTIVE', '该次非办案区同录已结束办案，不能再上传或删除视频。');
    return session;
  }

  async listUploads(user: AuthUser, sessionId: number): Promise<OffsiteUploadView[]> {
    const session = await this.sessions.getVisible(user, sessionId);
    if (session.kind !== OFFSITE_KIND) throw new AppError('SESSION_NOT_FOUND');
    const rows = await this.db.kysely.selectFrom('offsite_uploads').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
    return rows.map(toUploadView);
  }

  /** Finds an upload for a tus request (HEAD or PATCH). Anything the user may not touch is "not found". */
  async getWritableUpload(user: AuthUser, uploadId: string): Promise<OffsiteUploadRow> {
    const row = await this.findUpload(uploadId);
    if (!row) throw new AppError('FILE_NOT_FOUND');
    await this.getOpenSession(user, row.session_id).catch((error: unknown) => {
      throw error instanceof AppError && error.code === 'SESSION_NOT_ACTIVE' ? error : new AppError('FILE_NOT_FOUND');
    });
    return row;
  }

  async findUpload(uploadId: string): Promise<OffsiteUploadRow | undefined> {
    return this.db.kysely.selectFrom('offsite_uploads').selectAll().where('upload_id', '=', uploadId).executeTakeFirst();
  }

  async registerUpload(user: AuthUser, sessionId: number, uploadId: string, fileName: string, size: number): Promise<void> {
    await this.db.kysely
      .insertInto('offsite_uploads')
      .values({
        session_id: sessionId,
        upload_id: uploadId,
        file_name: fileName,
        size,
        state: 'uploading',
        format_name: null,
        duration_ms: null,
        codec: null,
        created_by: user.id,
        created_at: nowIso(),
        finished_at: null,
      })
      .execute();
  }

  async markUploaded(user: AuthUser, clientIp: string, upload: OffsiteUploadRow, probe: { formatName: string; durationMs: number; codec: string }): Promise<void> {
    await this.db.kysely
      .updateTable('offsite_uploads')
      .set({ state: 'uploaded', format_name: probe.formatName, duration_ms: probe.durationMs, codec: probe.codec, finished_at: nowIso() })
      .where('id', '=', upload.id)
      .execute();
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'offsite.video.upload',
      targetType: 'session',
      targetId: upload.session_id,
      result: 'success',
      details: { uploadId: upload.upload_id, fileName: upload.file_name, size: Number(upload.size), formatName: probe.formatName },
    });
  }

  /** Uploads still unfinished that were started before `createdBefore` (ISO time). */
  async findUnfinishedUploadsBefore(createdBefore: string): Promise<OffsiteUploadRow[]> {
    return this.db.kysely.selectFrom('offsite_uploads').selectAll().where('state', '=', 'uploading').where('created_at', '<', createdBefore).execute();
  }

  async deleteUploadRow(uploadId: string): Promise<void> {
    await this.db.kysely.deleteFrom('offsite_uploads').where('upload_id', '=', uploadId).execute();
  }

  /** Removes a wrong upload before 结束办案; the caller deletes the stored bytes. */
  async removeUpload(user: AuthUser, clientIp: string, sessionId: number, id: number): Promise<OffsiteUploadRow> {
    await this.getOpenSession(user, sessionId);
    const row = await this.db.kysely.selectFrom('offsite_uploads').selectAll().where('id', '=', id).where('session_id', '=', sessionId).executeTakeFirst();
    if (!row) throw new AppError('FILE_NOT_FOUND');
    await this.db.kysely.deleteFrom('offsite_uploads').where('id', '=', row.id).execute();
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'offsite.video.delete',
      targetType: 'session',
      targetId: sessionId,
      result: 'success',
      details: { uploadId: row.upload_id, fileName: row.file_name },
    });
    return row;
  }

  /** 结束办案: closes the session to uploads and queues the archive job in the same transaction. */
  async end(user: AuthUser, clientIp: string, sessionId: number): Promise<SessionView> {
    await this.getOpenSession(user, sessionId);
    const uploads = await this.db.kysely.selectFrom('offsite_uploads').select(['state', 'file_name']).where('session_id', '=', sessionId).execute();
    const unfinished = uploads.filter((upload) => upload.state === 'uploading');
    if (unfinished.length > 0) {
      throw new AppError('OFFSITE_UPLOAD_UNFINISHED', `视频“${unfinished.map((upload) => upload.file_name).join('”、“')}”尚未上传完成，请等待上传完成或在右边栏删除后再结束办案。`);
    }
    if (uploads.length === 0) throw new AppError('OFFSITE_NO_VIDEO');

    const now = nowIso();
    const updated = await this.db.kysely.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('recording_sessions')
        .set({ state: 'ended', updated_at: now })
        .where('id', '=', sessionId)
        .where('state', '=', 'recording')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await new JobRepository({ kysely: trx, dialect: this.db.dialect }).enqueue(
        'offsite-archive',
        `offsite-archive:${sessionId}`,
        { sessionId },
        { runAfter: now, maxAttempts: this.settings.archiveMaxAttempts },
      );
      return true;
    });
    if (!updated) throw new AppError('SESSION_NOT_ACTIVE');
    this.onJobQueued();

    await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'offsite.end', targetType: 'session', targetId: sessionId, result: 'success', details: { videos: uploads.length } });
    return this.sessions.view(await this.sessions.getVisible(user, sessionId));
  }
}

function parseTime(value: string, label: string): string {
  const time = Date.parse(value);
  if (!Number.isFinite(time)) throw invalid(`${label}格式不正确，请重新选择。`);
  return new Date(time).toISOString();
}

function toUploadView(row: OffsiteUploadRow): OffsiteUploadView {
  return {
    id: row.id,
    uploadId: row.upload_id,
    fileName: row.file_name,
    size: Number(row.size),
    state: row.state,
    formatName: row.format_name,
    durationMs: row.duration_ms,
    codec: row.codec,
    createdAt: row.created_at,
  };
}
