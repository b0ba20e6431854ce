import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/*
 * Column conventions shared by SQLite and PostgreSQL: times are ISO 8601 UTC strings (text), booleans are
 * integers 0/1, JSON is text. Both dialects then return the same JavaScript values.
 */

export interface DepartmentTable {
  id: Generated<number>;
  name: string;
  created_at: string;
  /** Parent in the department tree; NULL for a top-level department. */
  parent_id: Generated<number | null>;
  sort_order: Generated<number>;
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
  /** Consecutive failed logins since the last success or lockout. */
  failed_login_count: Generated<number>;
  /** Logins are rejected until this time (ISO 8601 UTC). */
  locked_until: Generated<string | null>;
  /** Start of the password age; NULL counts from created_at. */
  password_changed_at: Generated<string | null>;
  updated_at: Generated<string | null>;
}

export interface LoginSessionTable {
  /** SHA-256 of the cookie token, so a database leak does not leak live sessions. */
  id: string;
  user_id: number;
  client_ip: string;
  created_at: string;
  last_seen_at: string;
  /** Token the web UI sends back in the X-Tonglu-CSRF header on state-changing requests. */
  csrf_token: Generated<string>;
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
  /** Pinyin initials of the name for search ("zs" for 张三), kept by the repository. */
  name_initials: Generated<string>;
}

export interface SuspectTable {
  id: Generated<number>;
  case_id: number;
  name: string;
  id_type_code: string;
  id_type_name: string;
  id_number: string;
  created_at: string;
  /** Pinyin initials of the name for search, kept by the repository. */
  name_initials: Generated<string>;
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
  /** Reason an admin gave for backfilling this session (kind 'backfill'), or null for other kinds. */
  backfill_reason: Generated<string | null>;
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
  /** 1 for a document added after the session ended (资料补充). */
  is_addition: Generated<number>;
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

export interface CaseGrantTable {
  id: Generated<number>;
  case_id: number;
  grantee_id: number;
  granted_by: number;
  granted_at: string;
  revoked_at: string | null;
  revoked_by: number | null;
}

/** A file of the case's 电子卷宗, fetched from the case system. */
export interface DossierFileTable {
  id: Generated<number>;
  case_id: number;
  name: string;
  /** Folder in the dossier tree, segments joined by '/', e.g. 诉讼文书卷/起诉意见书. */
  folder_path: string;
  /** Path relative to the data folder. */
  stored_path: string;
  size: number;
  sha256: string;
  sm3: string;
  /** Source system of the file, e.g. 大统一2.0 or demo. */
  source: string;
  fetched_at: string;
  created_at: string;
}

/** A document added to a case as a whole after the fact (资料补充 without a session). */
export interface CaseDocumentTable {
  id: Generated<number>;
  case_id: number;
  file_name: string;
  /** Path relative to the data folder. */
  stored_path: string;
  size: number;
  sha256: string;
  sm3: string;
  created_by: number;
  created_at: string;
}

/** A video uploaded over tus to an off-site session (非办案区同录) and not yet archived. */
export interface OffsiteUploadTable {
  id: Generated<number>;
  session_id: number;
  /** The tus upload id, also the file name in the tus folder. */
  upload_id: string;
  file_name: string;
  /** Declared size in bytes (Upload-Length). */
  size: number;
  /** uploading, uploaded or archived. */
  state: string;
  format_name: string | null;
  duration_ms: number | null;
  codec: string | null;
  created_by: number;
  created_at: string;
  finished_at: string | null;
}

/** A package delivered to 易办案: a session's recordings (kind session) or documents added later (kind supplement). */
export interface DeliveryTable {
  id: Generated<number>;
  session_id: number;
  /** TL-<site>-<session id>-<seq>, stable across retries. */
  package_id: string;
  /** session or supplement. */
  kind: string;
  seq: number;
  /** For a supplement: the package it adds to. */
  follows_package_id: string | null;
  /** http or folder, chosen from the setting when the package was created. */
  mode: string;
  /** queued, sending, delivered, failed, or skipped when the session was ended without the 易办案 tick. */
  state: string;
  /** manifest.json as sent, frozen at creation. */
  manifest: string;
  manifest_sha256: string;
  bytes_total: number;
  bytes_sent: Generated<number>;
  /** Attempts of the current round; 重试 starts a new round. */
  attempts: Generated<number>;
  /** Chinese reason of the last failure, shown to admins. */
  last_error: string | null;
  receipt_id: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/** A file listed in a package's manifest, at its position in the files array. */
export interface DeliveryFileTable {
  id: Generated<number>;
  delivery_id: number;
  media_file_id: number;
  position: number;
  path: string;
  kind: string;
  size: number;
  sha256: string;
  sm3: string;
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
  case_grants: CaseGrantTable;
  dossier_files: DossierFileTable;
  offsite_uploads: OffsiteUploadTable;
  case_documents: CaseDocumentTable;
  audit_chain_head: AuditChainHeadTable;
  deliveries: DeliveryTable;
  delivery_files: DeliveryFileTable;
}

export type UserRow = Selectable<UserTable>;
export type DepartmentRow = Selectable<DepartmentTable>;
export type CaseRow = Selectable<CaseTable>;
export type SuspectRow = Selectable<SuspectTable>;
export type RoomRow = Selectable<RoomTable>;
export type NewRoom = Insertable<RoomTable>;
export type RoomUpdate = Updateable<RoomTable>;
export type RecordingSessionRow = Selectable<RecordingSessionTable>;
export type MediaFileRow = Selectable<MediaFileTable>;
export type JobRow = Selectable<JobTable>;
export type CaseGrantRow = Selectable<CaseGrantTable>;
export type DossierFileRow = Selectable<DossierFileTable>;
export type OffsiteUploadRow = Selectable<OffsiteUploadTable>;
export type CaseDocumentRow = Selectable<CaseDocumentTable>;
export type DeliveryRow = Selectable<DeliveryTable>;
export type DeliveryFileRow = Selectable<DeliveryFileTable>;
