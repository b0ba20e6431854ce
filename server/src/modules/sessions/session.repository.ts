import type { Db } from '../../db/database.js';
import type { MediaFileRow, RecordingSessionRow } from '../../db/schema.js';

export interface SessionDetailRow extends RecordingSessionRow {
  case_name: string;
  case_handler_id: number;
  suspect_name: string;
  room_name: string | null;
  operator_name: string;
}

export class SessionRepository {
  constructor(private readonly db: Db) {}

  private detailQuery() {
    return this.db.kysely
      .selectFrom('recording_sessions as s')
      .innerJoin('cases', 'cases.id', 's.case_id')
      .innerJoin('suspects', 'suspects.id', 's.suspect_id')
      .innerJoin('users', 'users.id', 's.operator_id')
      .leftJoin('rooms', 'rooms.id', 's.room_id')
      .selectAll('s')
      .select(['cases.name as case_name', 'cases.handler_id as case_handler_id', 'suspects.name as suspect_name', 'rooms.name as room_name', 'users.display_name as operator_name']);
  }

  async findDetail(sessionId: number): Promise<SessionDetailRow | undefined> {
    return this.detailQuery().where('s.id', '=', sessionId).executeTakeFirst();
  }

  async listForCase(caseId: number): Promise<SessionDetailRow[]> {
    return this.detailQuery().where('s.case_id', '=', caseId).orderBy('s.started_at', 'desc').orderBy('s.id', 'desc').execute();
  }

  async findActiveInRoom(roomId: number): Promise<SessionDetailRow | undefined> {
    return this.detailQuery().where('s.room_id', '=', roomId).where('s.state', '=', 'recording').executeTakeFirst();
  }

  async findActiveForSuspect(suspectId: number): Promise<SessionDetailRow | undefined> {
    return this.detailQuery().where('s.suspect_id', '=', suspectId).where('s.state', '=', 'recording').executeTakeFirst();
  }

  async listRecording(): Promise<SessionDetailRow[]> {
    return this.detailQuery().where('s.state', '=', 'recording').orderBy('s.started_at', 'desc').orderBy('s.id', 'desc').execute();
  }

  async findById(sessionId: number): Promise<RecordingSessionRow | undefined> {
    return this.db.kysely.selectFrom('recording_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
  }

  async listFiles(sessionIds: number[]): Promise<MediaFileRow[]> {
    if (sessionIds.length === 0) return [];
    return this.db.kysely.selectFrom('media_files').selectAll().where('session_id', 'in', sessionIds).orderBy('id').execute();
  }
}
