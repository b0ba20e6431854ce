import type { RoomRef } from './auth';
import { request } from './client';
import type { SessionDeliveryStatus } from './deliveries';
import type { MediaFile } from './files';

export type SessionState = 'recording' | 'ended' | 'fetching' | 'archived' | 'failed';
export type SessionKind = 'room' | 'off-site' | 'backfill';

export interface TimeGap {
  from: string;
  to: string;
}

export interface Session {
  id: number;
  caseId: number;
  caseName: string;
  suspectId: number;
  suspectName: string;
  roomId: number | null;
  roomName: string | null;
  kind: SessionKind;
  operatorName: string;
  startedAt: string;
  endedAt: string | null;
  uploadToYibanan: boolean;
  state: SessionState;
  stateLabel: string;
  failureReason: string | null;
  /** NVR clock minus server clock, measured when the session started. */
  clockOffsetMs: number | null;
  gaps: TimeGap[];
  /** When the archive job may start: the end time plus the configured delay. */
  archiveAt: string | null;
}

export interface SessionWithFiles extends Session {
  files: MediaFile[];
  /** 易办案 packages of the session. */
  yibanan?: SessionDeliveryStatus;
}

export interface ConsoleState {
  room: RoomRef | null;
  activeSession: Session | null;
  /** The room records a session that this user may not see (another user's case). */
  isRoomBusy: boolean;
  archiveDelaySeconds: number;
}

export function getConsole(): Promise<ConsoleState> {
  return request('/api/console');
}

export function startSession(caseId: number, suspectId: number): Promise<Session> {
  return request('/api/sessions', { method: 'POST', body: { caseId, suspectId } });
}

export function endSession(id: number, uploadToYibanan: boolean): Promise<Session> {
  return request(`/api/sessions/${id}/end`, { method: 'POST', body: { uploadToYibanan } });
}

export function retrySession(id: number): Promise<Session> {
  return request(`/api/sessions/${id}/retry`, { method: 'POST' });
}

export function listCaseSessions(caseId: number, isSilent = false): Promise<SessionWithFiles[]> {
  return request(`/api/cases/${caseId}/sessions`, { isSilent });
}
