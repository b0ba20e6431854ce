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
  /** 工号 in 大统一2.0 (the handler code `gh`); unique when set. */
  employee_no: Generated<string | null>;
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
  /** `gxsj` of the 大统一2.0 record last applied; older records are ignored. */
  unified_updated_at: Generated<string | null>;
  /** When 大统一2.0 reported the case deleted (sfsc = 'Y'); no new sessions while set. */
  deleted_in_unified_at: Generated<string | null>;
  /** 大统一2.0 handler code (cbrgh) last applied to handler_id; a Tonglu transfer lasts until 2.0 sends another. */
  unified_handler_code: Generated<string | null>;
  /** 单位编码 (dwbm). */
  unit_code: Generated<string | null>;
  /** 案件类别编码 (ajlb_bm); `category` is the name. */
  category_code: Generated<string | null>;
  /** 承办部门 code and name as 大统一2.0 sends them. */
  department_code: Generated<string | null>;
  department_name: Generated<string | null>;
  /** 1 while the case's 电子卷宗 tree still has to be read after a sync changed the case. */
  dossier_pending: Generated<number>;
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
  /** 嫌疑人编号 (xyrbh) in 大统一2.0; null for suspects added in Tonglu. */
  external_id: Generated<string | null>;
  /** 'unified' for suspects from 大统一2.0, 'local' for those added in Tonglu. */
  source: Generated<string>;
  /** When the suspect disappeared from its case in 大统一2.0; the row stays. */
  removed_in_unified_at: Generated<string | null>;
  gender: Generated<string | null>;
  birth_date: Generated<string | null>;
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
  /** 文件编号 (wjbh) in 大统一2.0; null for files from other sources. */
  external_id: Generated<string | null>;
  /** When a newer version of the same 文件编号 replaced this file; superseded files are not listed. */
  superseded_at: Generated<string | null>;
  /** 更新时间 of this version in 大统一2.0 (UTC ISO); orders the versions of one 文件编号. */
  version_at: Generated<string | null>;
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

/** One 大统一2.0 pull or file import, with its counts. */
export interface UnifiedSyncRunTable {
  id: Generated<number>;
  /** schedule, manual or file. */
  trigger: string;
  triggered_by: number | null;
  file_name: string | null;
  started_at: string;
  finished_at: string | null;
  /** running, succeeded or failed. */
  state: string;
  fetched: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  deleted: Generated<number>;
  /** Rejected cases: records of a pull, items of `cases` or rows of the 案件 sheet. */
  rejected: Generated<number>;
  /** Suspects left out of imported cases, and rows of the 嫌疑人 sheet naming no case of the file. */
  rejected_suspects: Generated<number>;
  dossier_files: Generated<number>;
  /** Chinese reason of a failed run. */
  error: string | null;
}

/** Single row (id 1): where the incremental pull continues after a finished, failed or interrupted run. */
export interface UnifiedSyncStateTable {
  id: number;
  /** `syncToken` of the last complete pull, sent as `since`. */
  since_token: string | null;
  /** `nextCursor` of the last page stored, while a pull is part way. */
  cursor: string | null;
  /** The run that stored `cursor`. */
  run_id: number | null;
  updated_at: string;
}

/** A 大统一2.0 handler (承办人) and the Tonglu user matched to it, or null when none matches. */
export interface UnifiedHandlerTable {
  /** 工号 (gh). */
  code: string;
  name: string;
  /** 登录账号 (dlzh) in 大统一2.0. */
  login_name: string | null;
  department_name: string | null;
  user_id: number | null;
  updated_at: string;
}

/** A record or row a run did not import, with the reason in Chinese. */
export interface UnifiedRejectedRowTable {
  id: Generated<number>;
  run_id: number;
  /** Sheet of an imported workbook (案件 or 嫌疑人); null for the HTTP pull and JSON files. */
  sheet: string | null;
  /** Row number in the sheet, or position in a JSON file (1-based); null for the HTTP pull. */
  row_number: number | null;
  /** 部门受案号, optionally with the 嫌疑人编号, of the rejected record. */
  reference: string;
  /** Field name as 大统一2.0 or the template calls it. */
  field: string;
  reason: string;
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
  unified_sync_runs: UnifiedSyncRunTable;
  unified_sync_state: UnifiedSyncStateTable;
  unified_handlers: UnifiedHandlerTable;
  unified_rejected_rows: UnifiedRejectedRowTable;
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
export type UnifiedSyncRunRow = Selectable<UnifiedSyncRunTable>;
export type UnifiedHandlerRow = Selectable<UnifiedHandlerTable>;
export type UnifiedRejectedRow = Selectable<UnifiedRejectedRowTable>;
