import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/*
 * Column conventions shared by SQLite and PostgreSQL: times are ISO 8601 UTC strings (text), booleans are
 * integers 0/1, JSON is text. Both dialects then return the same JavaScript values.
 */

export interface DepartmentTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface UserTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  department_id: number | null;
  /** Comma-separated role codes: officer, sysadmin, secadmin, auditor. */
  roles: string;
  password_hash: string;
  must_change_password: number;
  status: string;
  created_at: string;
}

export interface LoginSessionTable {
  /** SHA-256 of the cookie token, so a database leak does not leak live sessions. */
  id: string;
  user_id: number;
  client_ip: string;
  created_at: string;
  last_seen_at: string;
}

export interface CaseTable {
  id: Generated<number>;
  name: string;
  case_number: string;
  unified_number: string | null;
  category: string | null;
  stage: string;
  accepted_on: string;
  department_id: number | null;
  handler_id: number;
  source: string;
  created_at: string;
  updated_at: string;
}

export interface SuspectTable {
  id: Generated<number>;
  case_id: number;
  name: string;
  id_type_code: string;
  id_type_name: string;
  id_number: string;
  created_at: string;
}

export interface RoomTable {
  id: Generated<number>;
  name: string;
  sort_order: number;
  area: string | null;
  vendor: string;
  nvr_host: string;
  nvr_http_port: number;
  nvr_rtsp_port: number;
  nvr_username: string;
  /** AES-256-GCM ciphertext, see adapters/crypto. */
  nvr_password_enc: string;
  device_type: string;
  channel: number;
  pc_ip: string;
  utc_offset_minutes: number;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export interface RecordingSessionTable {
  id: Generated<number>;
  case_id: number;
  suspect_id: number;
  kind: string;
  room_id: number | null;
  operator_id: number;
  started_at: string;
  ended_at: string | null;
  /** NVR clock minus server clock, measured at start. */
  clock_offset_ms: number;
  upload_to_yibanan: number;
  state: string;
  failure_reason: string | null;
  /** JSON array of { from, to } gaps found in the archived video's timestamps. */
  gaps: string;
  archive_attempts: number;
  created_at: string;
  updated_at: string;
}

export interface MediaFileTable {
  id: Generated<number>;
  session_id: number;
  kind: string;
  file_name: string;
  /** Path relative to the data folder. */
  stored_path: string;
  size: number;
  sha256: string;
  sm3: string;
  duration_ms: number | null;
  codec: string | null;
  width: number | null;
  height: number | null;
  created_by: number | null;
  created_at: string;
}

export interface JobTable {
  id: Generated<number>;
  type: string;
  /** Unique key so the same work is never queued twice (e.g. archive:42). */
  dedupe_key: string;
  payload: string;
  state: string;
  run_after: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: string;
  user_id: number | null;
  username: string | null;
  client_ip: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  result: string;
  details: string | null;
  /** Position in the hash chain, 1 for the first row. */
  seq: number | null;
  /** The acting user's role codes at the time, comma-separated. */
  role: string | null;
  prev_hash: string | null;
  /** SHA-256 of the row's canonical content, see modules/audit/audit-chain.ts. */
  hash: string | null;
}

/** Single row (id 1): how many rows the audit chain has and the newest row's hash. */
export interface AuditChainHeadTable {
  id: number;
  count: number;
  last_hash: string;
}

export interface Database {
  departments: DepartmentTable;
  users: UserTable;
  login_sessions: LoginSessionTable;
  cases: CaseTable;
  suspects: SuspectTable;
  rooms: RoomTable;
  recording_sessions: RecordingSessionTable;
  media_files: MediaFileTable;
  jobs: JobTable;
  audit_events: AuditEventTable;
  audit_chain_head: AuditChainHeadTable;
}

export type UserRow = Selectable<UserTable>;
export type CaseRow = Selectable<CaseTable>;
export type SuspectRow = Selectable<SuspectTable>;
export type RoomRow = Selectable<RoomTable>;
export type NewRoom = Insertable<RoomTable>;
export type RoomUpdate = Updateable<RoomTable>;
export type RecordingSessionRow = Selectable<RecordingSessionTable>;
export type MediaFileRow = Selectable<MediaFileTable>;
export type JobRow = Selectable<JobTable>;
