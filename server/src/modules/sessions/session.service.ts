import type { FastifyBaseLogger } from 'fastify';
import { NvrError } from '../../adapters/nvr/nvr.types.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { addSeconds, nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import { isCaseAdmin, type AuthUser } from '../auth/auth.types.js';
import type { CaseRepository } from '../cases/case.repository.js';
import type { CaseService } from '../cases/case.service.js';
import { JobRepository } from '../jobs/job.repository.js';
import type { RoomService } from '../rooms/room.service.js';
import type { SessionDeliveryStatus } from '../delivery/delivery.service.js';
import type { SessionDetailRow, SessionRepository } from './session.repository.js';
import { toSessionView, type SessionView } from './session.view.js';

export interface SessionSettings {
  archiveDelaySeconds: number;
  archiveMaxAttempts: number;
}

/** Reads the 易办案 status of sessions for the case's session list. */
export interface DeliveryStatusReader {
  statusOfSessions(user: AuthUser, caseRef: { handler_id: number }, sessions: { id: number; uploadToYibanan: boolean }[]): Promise<Map<number, SessionDeliveryStatus>>;
}

export interface ConsoleView {
  room: { id: number; name: string } | null;
  activeSession: SessionView | null;
  isRoomBusy: boolean;
  archiveDelaySeconds: number;
}

/** Turns an adapter failure into the API's error with the adapter's Chinese message. */
export function toAppError(error: unknown): unknown {
  if (error instanceof NvrError) return new AppError(error.code, error.message, { cause: error });
  return error;
}

/** Room sessions: start on the room PC, one per room, end with the 易办案 choice, queue the archive job. */
export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionRepository,
    private readonly caseRepository: CaseRepository,
    private readonly caseService: CaseService,
    private readonly rooms: RoomService,
    private readonly audit: AuditService,
    private readonly settings: SessionSettings,
    private readonly onJobQueued: () => void,
    private readonly deliveryStatus: DeliveryStatusReader,
    private readonly log: FastifyBaseLogger,
  ) {}

  view(row: SessionDetailRow): SessionView {
    return toSessionView(row, this.settings.archiveDelaySeconds);
  }

  /**
   * Returns the room of the calling PC and its active session. Another user logged in on the same room PC learns
   * only that the room is busy, not whose case is being recorded.
   */
  async getConsole(user: AuthUser, clientIp: string): Promise<ConsoleView> {
    const archiveDelaySeconds = this.settings.archiveDelaySeconds;
    const room = await this.rooms.findConsoleRoom(clientIp);
    if (!room) return { room: null, activeSession: null, isRoomBusy: false, archiveDelaySeconds };
    const active = await this.sessions.findActiveInRoom(room.id);
    const isVisible = active !== undefined && (await this.canControl(user, active));
    return {
      room: { id: room.id, name: room.name },
      activeSession: active && isVisible ? this.view(active) : null,
      isRoomBusy: active !== undefined,
      archiveDelaySeconds,
    };
  }

  async start(user: AuthUser, clientIp: string, caseId: number, suspectId: number): Promise<SessionView> {
    const room = await this.rooms.findConsoleRoom(clientIp);
    if (!room) throw new AppError('NOT_ROOM_PC', `此功能只能在办案区房间内的电脑上使用（本机 IP ${clientIp} 未绑定房间）。`);
    await this.caseService.getRecordable(user, caseId);
    const suspect = await this.caseRepository.findSuspect(suspectId);
    if (!suspect || suspect.case_id !== caseId) throw new AppError('SUSPECT_NOT_IN_CASE');
    if (await this.sessions.findActiveInRoom(room.id)) throw new AppError('ROOM_BUSY');
    // One person cannot be interviewed in two rooms at the same time; a second start is a mistake.
    const suspectSession = await this.sessions.findActiveForSuspect(suspectId);
    if (suspectSession) throw new AppError('SUSPECT_BUSY', `嫌疑人 ${suspect.name} 正在“${suspectSession.room_name ?? '其他房间'}”同录，请先结束该次办案。`);

    // The NVR clock is read before anything is written: an unreachable NVR leaves no half-made session.
    const clockOffsetMs = await this.measureClockOffset(room.id);

    const now = nowIso();
    let sessionId: number;
    try {
      const inserted = await this.db.kysely
        .insertInto('recording_sessions')
        .values({
          case_id: caseId,
          suspect_id: suspectId,
          kind: 'room',
          room_id: room.id,
          operator_id: user.id,
          started_at: now,
          ended_at: null,
          clock_offset_ms: clockOffsetMs,
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
      sessionId = inserted.id;
    } catch (error) {
      // The partial unique index on (room_id) where state = 'recording' rejects a second session started at the same moment.
      if (await this.sessions.findActiveInRoom(room.id)) throw new AppError('ROOM_BUSY', undefined, { cause: error });
      throw error;
    }

    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'session.start',
      targetType: 'session',
      targetId: sessionId,
      result: 'success',
      details: { caseId, suspectId, roomId: room.id, clockOffsetMs },
    });
    return this.getView(sessionId);
  }

  /** Ends an active session and queues its archive job in the same transaction. */
  async end(user: AuthUser, clientIp: string, sessionId: number, uploadToYibanan: boolean): Promise<{ session: SessionView; isRoomPc: boolean }> {
    const row = await this.getControllable(user, sessionId);
    if (row.state !== 'recording') throw new AppError('SESSION_NOT_ACTIVE');
    // Off-site sessions end with their uploads checked and their own archive job, on their own page.
    if (row.kind === 'off-site') throw new AppError('OFFSITE_END_ELSEWHERE');

    const endedAt = nowIso();
    const updated = await this.db.kysely.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('recording_sessions')
        .set({ state: 'ended', ended_at: endedAt, upload_to_yibanan: uploadToYibanan ? 1 : 0, updated_at: endedAt })
        .where('id', '=', sessionId)
        .where('state', '=', 'recording')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await new JobRepository({ kysely: trx, dialect: this.db.dialect }).enqueue(
        'archive',
        `archive:${sessionId}`,
        { sessionId },
        { runAfter: addSeconds(endedAt, this.settings.archiveDelaySeconds), maxAttempts: this.settings.archiveMaxAttempts },
      );
      return true;
    });
    if (!updated) throw new AppError('SESSION_NOT_ACTIVE');
    this.onJobQueued();

    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'session.end',
      targetType: 'session',
      targetId: sessionId,
      result: 'success',
      details: { uploadToYibanan },
    });
    const consoleRoom = await this.rooms.findConsoleRoom(clientIp);
    const isRoomPc = consoleRoom !== null && consoleRoom.id === row.room_id;
    if (!isRoomPc && row.room_id !== null) await this.logOutRoomPc(user, clientIp, row.room_id, sessionId);
    return { session: await this.getView(sessionId), isRoomPc };
  }

  /** 在录案件列表: sessions still recording that the user operates or may record on; admins see all. */
  async listActive(user: AuthUser): Promise<SessionView[]> {
    const rows = await this.sessions.listRecording();
    const visible: SessionView[] = [];
    for (const row of rows) {
      const isAllowed =
        row.operator_id === user.id || isCaseAdmin(user) || (await this.caseService.canRecord(user, { id: row.case_id, handler_id: row.case_handler_id }));
      if (isAllowed) visible.push(this.view(row));
    }
    return visible;
  }

  /**
   * Ends every login from the room's PC after its session was ended elsewhere (在录案件列表). The PC left
   * logged in then gets 401 on its next request, and its console returns to the login page.
   */
  private async logOutRoomPc(user: AuthUser, clientIp: string, roomId: number, sessionId: number): Promise<void> {
    const room = await this.rooms.get(roomId);
    // Logins store the raw request address, which may be the IPv4-mapped IPv6 form of the room's 房间IP.
    const addresses = [room.pc_ip, `::ffff:${room.pc_ip}`];
    const result = await this.db.kysely.deleteFrom('login_sessions').where('client_ip', 'in', addresses).executeTakeFirst();
    const count = Number(result.numDeletedRows);
    if (count === 0) return;
    this.log.info({ sessionId, roomId, count }, 'logged out the room PC after its session was ended elsewhere');
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'auth.logout.room-pc',
      targetType: 'room',
      targetId: roomId,
      result: 'success',
      details: { sessionId, roomPcIp: room.pc_ip, loginsEnded: count },
    });
  }

  /** Queues a failed archive again with fresh attempts. */
  async retry(user: AuthUser, clientIp: string, sessionId: number): Promise<SessionView> {
    const row = await this.getVisible(user, sessionId);
    if (row.state !== 'failed') throw new AppError('SESSION_NOT_FAILED');

    const now = nowIso();
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('recording_sessions').set({ state: 'ended', failure_reason: null, updated_at: now }).where('id', '=', sessionId).execute();
      // Off-site sessions are archived by their own job type, which has its own key.
      const jobKey = row.kind === 'off-site' ? `offsite-archive:${sessionId}` : `archive:${sessionId}`;
      await new JobRepository({ kysely: trx, dialect: this.db.dialect }).requeue(jobKey, now);
    });
    this.onJobQueued();
    await this.audit.record({ userId: user.id, username: user.username, clientIp, action: 'session.archive.retry', targetType: 'session', targetId: sessionId, result: 'success' });
    return this.getView(sessionId);
  }

  async listForCase(user: AuthUser, caseId: number): Promise<SessionView[]> {
    const caseRow = await this.caseService.getVisible(user, caseId);
    const rows = await this.sessions.listForCase(caseId);
    const files = await this.sessions.listFiles(rows.map((row) => row.id));
    const views = rows.map((row) => toSessionView(row, this.settings.archiveDelaySeconds, files));
    const statuses = await this.deliveryStatus.statusOfSessions(user, caseRow, views);
    for (const view of views) view.yibanan = statuses.get(view.id);
    return views;
  }

  async getVisible(user: AuthUser, sessionId: number): Promise<SessionDetailRow> {
    const row = await this.sessions.findDetail(sessionId);
    if (!row || !(await this.caseService.canView(user, { id: row.case_id, handler_id: row.case_handler_id }))) throw new AppError('SESSION_NOT_FOUND');
    return row;
  }

  /** The operator, the case's handler, its grantees and admins may end a session. */
  private async canControl(user: AuthUser, row: SessionDetailRow): Promise<boolean> {
    if (row.operator_id === user.id || isCaseAdmin(user)) return true;
    return this.caseService.canRecord(user, { id: row.case_id, handler_id: row.case_handler_id });
  }

  private async getControllable(user: AuthUser, sessionId: number): Promise<SessionDetailRow> {
    const row = await this.sessions.findDetail(sessionId);
    if (!row || !(await this.canControl(user, row))) throw new AppError('SESSION_NOT_FOUND');
    return row;
  }

  /**
   * Checks who may watch a room live. Admins and the operator, handler or grantees of the room's active session may.
   * While the room is idle its own PC may too, to check the picture before starting.
   */
  async canWatchRoom(user: AuthUser, clientIp: string, roomId: number): Promise<boolean> {
    if (isCaseAdmin(user)) return true;
    const active = await this.sessions.findActiveInRoom(roomId);
    if (active) return this.canControl(user, active);
    const consoleRoom = await this.rooms.findConsoleRoom(clientIp);
    return consoleRoom?.id === roomId;
  }

  private async getView(sessionId: number): Promise<SessionView> {
    const row = await this.sessions.findDetail(sessionId);
    if (!row) throw new AppError('SESSION_NOT_FOUND');
    return this.view(row);
  }

  /** NVR clock minus server clock, corrected by half the round trip. */
  private async measureClockOffset(roomId: number): Promise<number> {
    const room = await this.rooms.get(roomId);
    const before = Date.now();
    try {
      const deviceTime = await this.rooms.adapterOf(room).getDeviceTime(this.rooms.connectionOf(room));
      const after = Date.now();
      return Math.round(deviceTime.getTime() - (before + after) / 2);
    } catch (error) {
      // A generic RTSP camera has no clock query: record against the server clock and keep the session.
      if (error instanceof NvrError && error.code === 'NVR_UNSUPPORTED') {
        this.log.warn({ roomId }, 'NVR clock cannot be read; assuming it matches the server clock');
        return 0;
      }
      throw toAppError(error);
    }
  }
}
