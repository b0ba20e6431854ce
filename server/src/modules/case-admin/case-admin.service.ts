import type { FastifyBaseLogger } from 'fastify';
import { NvrError } from '../../adapters/nvr/nvr.types.js';
import { AppError, invalid } from '../../lib/errors.js';
import { addSeconds, nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { CaseGrantRepository } from '../cases/case-grant.repository.js';
import { isActiveOfficer } from '../cases/case-grant.service.js';
import type { CaseRepository } from '../cases/case.repository.js';
import type { RoomService } from '../rooms/room.service.js';
import { toAppError } from '../sessions/session.service.js';
import type { CaseAdminRepository } from './case-admin.repository.js';

export interface BackfillInput {
  caseId: number;
  suspectId: number;
  roomId: number;
  startedAt: string;
  endedAt: string;
  reason: string;
  uploadToYibanan?: boolean;
}

export interface TransferInput {
  handlerId: number;
  /** Grantees whose grant is revoked with the transfer; the others keep theirs. */
  revokeGranteeIds?: number[];
}

export interface CaseAdminSettings {
  archiveDelaySeconds: number;
  archiveMaxAttempts: number;
  /** Maximum length in hours of the range one backfill covers. */
  maxBackfillHours: number;
}

function parseTime(value: string, label: string): number {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time)) throw invalid(`${label}的格式不正确，请选择日期和时间。`);
  return time;
}

/** System admin case actions: 视频补录 (archive a past range from a room's NVR) and 案件移交 (new handler). */
export class CaseAdminService {
  constructor(
    private readonly repository: CaseAdminRepository,
    private readonly cases: CaseRepository,
    private readonly grants: CaseGrantRepository,
    private readonly rooms: RoomService,
    private readonly audit: AuditService,
    private readonly settings: CaseAdminSettings,
    private readonly onJobQueued: () => void,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Creates an ended session of kind 'backfill' for a past range and queues the normal archive job. */
  async backfill(user: AuthUser, clientIp: string, input: BackfillInput): Promise<number> {
    const reason = input.reason.trim();
    if (!reason) throw invalid('请填写补录原因。');
    const start = parseTime(input.startedAt, '开始时间');
    const end = parseTime(input.endedAt, '结束时间');
    if (end <= start) throw invalid('结束时间必须晚于开始时间。');
    if (end > Date.now()) throw invalid('结束时间不能晚于当前时间，视频补录只能补录已经过去的时段。');
    if (end - start > this.settings.maxBackfillHours * 3600_000) throw invalid(`补录时段不能超过 ${this.settings.maxBackfillHours} 小时，请分段补录。`);

    const caseRow = await this.cases.findById(input.caseId);
    if (!caseRow) throw new AppError('CASE_NOT_FOUND');
    if (caseRow.deleted_in_unified_at !== null) throw new AppError('CASE_DELETED_IN_UNIFIED');
    const suspect = await this.cases.findSuspect(input.suspectId);
    if (!suspect || suspect.case_id !== caseRow.id) throw new AppError('SUSPECT_NOT_IN_CASE');
    const room = await this.rooms.get(input.roomId);

    // The NVR is asked for its clock before anything is written, so an unreachable NVR leaves nothing behind.
    const clockOffsetMs = await this.measureClockOffset(room.id);
    const startedAt = new Date(start).toISOString();
    const endedAt = new Date(end).toISOString();
    const now = nowIso();
    // The NVR needs the archive delay after a range ends to close its files; older ranges are fetched at once.
    const closedAt = addSeconds(endedAt, this.settings.archiveDelaySeconds);
    const sessionId = await this.repository.insertEndedSessionWithArchiveJob(
      {
        case_id: caseRow.id,
        suspect_id: suspect.id,
        kind: 'backfill',
        room_id: room.id,
        operator_id: user.id,
        started_at: startedAt,
        ended_at: endedAt,
        clock_offset_ms: clockOffsetMs,
        upload_to_yibanan: input.uploadToYibanan === false ? 0 : 1,
        state: 'ended',
        failure_reason: null,
        gaps: '[]',
        archive_attempts: 0,
        backfill_reason: reason,
        created_at: now,
        updated_at: now,
      },
      { runAfter: closedAt > now ? closedAt : now, maxAttempts: this.settings.archiveMaxAttempts },
    );
    this.onJobQueued();

    this.log.info({ sessionId, caseId: caseRow.id, roomId: room.id }, 'backfill session created');
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'session.backfill',
      targetType: 'session',
      targetId: sessionId,
      result: 'success',
      details: { caseId: caseRow.id, suspectId: suspect.id, roomId: room.id, startedAt, endedAt, reason, clockOffsetMs },
    });
    return sessionId;
  }

  /** Moves a case to a new handler; grants stay unless listed for revocation. The old handler keeps no access. */
  async transfer(user: AuthUser, clientIp: string, caseId: number, input: TransferInput): Promise<void> {
    const caseRow = await this.cases.findById(caseId);
    if (!caseRow) throw new AppError('CASE_NOT_FOUND');
    const [person] = await this.grants.findPeople([input.handlerId]);
    if (!person || !isActiveOfficer(person)) {
      throw new AppError('PERSON_NOT_FOUND', `所选承办人（编号 ${input.handlerId}）不存在、已停用或不是办案人员，请重新选择。`);
    }
    if (person.id === caseRow.handler_id) throw invalid('新承办人与当前承办人相同，请选择其他人员。');

    const revokeIds = input.revokeGranteeIds ?? [];
    if (new Set(revokeIds).size !== revokeIds.length) throw invalid('要取消的授权人员有重复，请刷新页面后重试。');
    const active = (await this.grants.listActive(caseId)).map((row) => row.grantee_id);
    const unknown = revokeIds.find((id) => !active.includes(id));
    if (unknown !== undefined) throw new AppError('GRANT_NOT_FOUND', `人员（编号 ${unknown}）没有本案件的授权，无法取消。`);

    await this.repository.transfer(caseId, person.id, revokeIds, user.id, nowIso());
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'case.transfer',
      targetType: 'case',
      targetId: caseId,
      result: 'success',
      details: { fromHandlerId: caseRow.handler_id, toHandlerId: person.id, revokedGranteeIds: revokeIds },
    });
  }

  /** NVR clock minus server clock now, corrected by half the round trip. */
  private async measureClockOffset(roomId: number): Promise<number> {
    const room = await this.rooms.get(roomId);
    const before = Date.now();
    try {
      const deviceTime = await this.rooms.adapterOf(room).getDeviceTime(this.rooms.connectionOf(room));
      const after = Date.now();
      return Math.round(deviceTime.getTime() - (before + after) / 2);
    } catch (error) {
      // A generic RTSP camera has no clock query: use the server clock, as room sessions do.
      if (error instanceof NvrError && error.code === 'NVR_UNSUPPORTED') {
        this.log.warn({ roomId }, 'NVR clock cannot be read; assuming it matches the server clock');
        return 0;
      }
      throw toAppError(error);
    }
  }
}
