import type { MediaFileRow } from '../../db/schema.js';
import type { SessionDeliveryStatus } from '../delivery/delivery.service.js';
import { addSeconds } from '../../lib/time.js';
import type { SessionDetailRow } from './session.repository.js';

export const sessionStateLabels: Record<string, string> = {
  recording: '录制中',
  ended: '待归档',
  fetching: '正在归档',
  archived: '已归档',
  failed: '归档失败',
};

export interface MediaFileView {
  id: number;
  sessionId: number;
  kind: string;
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
  durationMs: number | null;
  codec: string | null;
  width: number | null;
  height: number | null;
  createdAt: string;
}

export interface SessionView {
  id: number;
  caseId: number;
  caseName: string;
  suspectId: number;
  suspectName: string;
  roomId: number | null;
  roomName: string | null;
  kind: string;
  operatorName: string;
  startedAt: string;
  endedAt: string | null;
  uploadToYibanan: boolean;
  state: string;
  stateLabel: string;
  failureReason: string | null;
  clockOffsetMs: number;
  gaps: { from: string; to: string }[];
  archiveAt: string | null;
  /** Reason an admin gave for backfilling this session (视频补录); null for other kinds. */
  backfillReason: string | null;
  files?: MediaFileView[];
  /** 易办案 packages of the session; listed with the case's sessions. */
  yibanan?: SessionDeliveryStatus;
}

export function toFileView(row: MediaFileRow): MediaFileView {
  return {
    id: row.id,
    sessionId: row.session_id,
    kind: row.kind,
    fileName: row.file_name,
    size: Number(row.size),
    sha256: row.sha256,
    sm3: row.sm3,
    durationMs: row.duration_ms,
    codec: row.codec,
    width: row.width,
    height: row.height,
    createdAt: row.created_at,
  };
}

export function toSessionView(row: SessionDetailRow, archiveDelaySeconds: number, files?: MediaFileRow[]): SessionView {
  const view: SessionView = {
    id: row.id,
    caseId: row.case_id,
    caseName: row.case_name,
    suspectId: row.suspect_id,
    suspectName: row.suspect_name,
    roomId: row.room_id,
    roomName: row.room_name,
    kind: row.kind,
    operatorName: row.operator_name,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    uploadToYibanan: row.upload_to_yibanan === 1,
    state: row.state,
    stateLabel: sessionStateLabels[row.state] ?? row.state,
    failureReason: row.failure_reason,
    clockOffsetMs: row.clock_offset_ms,
    gaps: JSON.parse(row.gaps) as { from: string; to: string }[],
    archiveAt: row.ended_at ? addSeconds(row.ended_at, archiveDelaySeconds) : null,
    backfillReason: row.backfill_reason,
  };
  if (files) view.files = files.filter((file) => file.session_id === row.id).map(toFileView);
  return view;
}
