import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/adapters/crypto/password.js';
import { nowIso } from '../../src/lib/time.js';
import { createTestApp, defaultTestRoom, type TestApp } from '../helpers/test-app.js';

/*
 * Calls every API route as each kind of caller and checks the status. A new route fails the coverage test until
 * it gets a row here. Statuses that are not about permission are explained where they occur:
 * 502 means the permission check passed and the test NVR (port 9) is unreachable.
 */

type Caller = 'anonymous' | 'handler' | 'otherOfficer' | 'sysadmin' | 'secadmin' | 'auditor' | 'admin';
const callers: Caller[] = ['anonymous', 'handler', 'otherOfficer', 'sysadmin', 'secadmin', 'auditor', 'admin'];

interface Context {
  caseId: number;
  suspectId: number;
  roomId: number;
  fileId: number;
  failedSessionId: number;
  recordingSessionId: number;
  spareUserId: number;
  deletableUserId: number;
  departmentId: number;
  transferCaseId: number;
  offsiteSessionId: number;
  offsiteUploadId: number;
  dossierFileId: number;
  caseDocumentId: number;
  deliveryId: number;
  counter: number;
}

interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route as registered, for the coverage check. */
  route: string;
  url: (context: Context) => string;
  body?: (context: Context) => unknown;
  /** A raw request body (file uploads), sent as application/octet-stream. */
  rawBody?: Buffer;
  /** Client IP; the default 127.0.0.1 is the demo room's PC. */
  remoteAddress?: string;
  /** Runs before each caller's request, to put the target back into the state the request needs. */
  prepare?: (context: Context) => Promise<void>;
  /** Logs the caller in again for this request, for routes that end the login session. */
  needsFreshLogin?: boolean;
  expected: Record<Caller, number>;
}

let t: TestApp;
const context = {} as Context;
const cookies = {} as Record<Caller, string>;

const officeIp = '127.0.0.20';
const roomBody = {
  name: defaultTestRoom.name,
  sortOrder: 1,
  area: '刑检办案区',
  vendor: 'dahua',
  nvrHost: defaultTestRoom.nvrHost,
  nvrHttpPort: defaultTestRoom.nvrHttpPort,
  nvrRtspPort: defaultTestRoom.nvrRtspPort,
  username: defaultTestRoom.username,
  deviceType: '硬盘录像机',
  channel: 1,
  pcIp: defaultTestRoom.pcIp,
};

function all(status: number, overrides: Partial<Record<Caller, number>> = {}): Record<Caller, number> {
  return { anonymous: 401, handler: status, otherOfficer: status, sysadmin: status, secadmin: status, auditor: status, admin: status, ...overrides };
}

async function insertUser(username: string, roles: string): Promise<number> {
  const now = nowIso();
  const row = await t.app.services.db.kysely
    .insertInto('users')
    .values({ username, display_name: username, department_id: null, roles, password_hash: await hashPassword('Tonglu@2026'), must_change_password: 0, status: 'active', created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function insertSession(state: string, kind = 'room'): Promise<number> {
  const now = nowIso();
  const handler = await t.app.services.db.kysely.selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
  const row = await t.app.services.db.kysely
    .insertInto('recording_sessions')
    .values({
      case_id: context.caseId,
      suspect_id: context.suspectId,
      kind,
      room_id: kind === 'room' ? context.roomId : null,
      operator_id: handler.id,
      started_at: now,
      ended_at: state === 'recording' ? null : now,
      clock_offset_ms: 0,
      upload_to_yibanan: 0,
      state,
      failure_reason: state === 'failed' ? 'test' : null,
      gaps: '[]',
      archive_attempts: 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function endRecordingSessions(): Promise<void> {
  await t.app.services.db.kysely.updateTable('recording_sessions').set({ state: 'ended', ended_at: nowIso() }).where('state', '=', 'recording').execute();
}

async function setSpareGrant(isGranted: boolean): Promise<void> {
  const db = t.app.services.db.kysely;
  await db.deleteFrom('case_grants').where('case_id', '=', context.caseId).where('grantee_id', '=', context.spareUserId).execute();
  if (!isGranted) return;
  const handler = await db.selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
  await db.insertInto('case_grants').values({ case_id: context.caseId, grantee_id: context.spareUserId, granted_by: handler.id, granted_at: nowIso(), revoked_at: null, revoked_by: null }).execute();
}

/** A fresh case of zhangming's for routes that change the handler. */
async function insertTransferCase(): Promise<number> {
  const db = t.app.services.db.kysely;
  const handler = await db.selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
  context.counter += 1;
  const row = await db
    .insertInto('cases')
    .values({
      name: `移交测试${context.counter}`,
      case_number: `移交测试[2026]${context.counter}`,
      unified_number: null,
      category: null,
      stage: '在办',
      accepted_on: '2026-03-01',
      department_id: null,
      handler_id: handler.id,
      source: 'self-built',
      created_at: nowIso(),
      updated_at: nowIso(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Puts the off-site session back to recording: other rows end every recording session. */
async function reopenOffsiteSession(): Promise<void> {
  await t.app.services.db.kysely.updateTable('recording_sessions').set({ state: 'recording' }).where('id', '=', context.offsiteSessionId).execute();
}

async function insertOffsiteUpload(): Promise<number> {
  const handler = await t.app.services.db.kysely.selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
  context.counter += 1;
  const row = await t.app.services.db.kysely
    .insertInto('offsite_uploads')
    .values({
      session_id: context.offsiteSessionId,
      upload_id: `permission-test-${context.counter}`,
      file_name: 'a.mp4',
      size: 10,
      state: 'uploading',
      format_name: null,
      duration_ms: null,
      codec: null,
      created_by: handler.id,
      created_at: nowIso(),
      finished_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const PDF_BYTES = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

const routeCases: RouteCase[] = [
  // auth
  {
    method: 'POST',
    route: '/api/auth/login',
    url: () => '/api/auth/login',
    body: () => ({ username: 'nobody', password: 'wrong' }),
    expected: all(401, { anonymous: 401 }),
  },
  { method: 'POST', route: '/api/auth/logout', url: () => '/api/auth/logout', needsFreshLogin: true, expected: all(204, { anonymous: 204 }) },
  { method: 'GET', route: '/api/auth/me', url: () => '/api/auth/me', expected: all(200) },
  // Permission passes for every logged-in user; the wrong old password then gives 400.
  { method: 'POST', route: '/api/auth/password', url: () => '/api/auth/password', body: () => ({ oldPassword: 'wrong', newPassword: 'Newpass@2026' }), expected: all(400) },

  // cases
  { method: 'GET', route: '/api/id-types', url: () => '/api/id-types', expected: all(200) },
  { method: 'GET', route: '/api/cases', url: () => '/api/cases', expected: all(200) },
  { method: 'GET', route: '/api/cases/:id', url: (c) => `/api/cases/${c.caseId}`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  {
    method: 'POST',
    route: '/api/cases',
    url: () => '/api/cases',
    body: (c) => ({ name: `权限测试案件${(c.counter += 1)}`, acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '990', idNumber: 'X1234567' }] }),
    expected: all(201),
  },
  { method: 'GET', route: '/api/cases/:id/sessions', url: (c) => `/api/cases/${c.caseId}/sessions`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },

  // recording sessions
  { method: 'GET', route: '/api/console', url: () => '/api/console', expected: all(200) },
  {
    method: 'POST',
    route: '/api/sessions',
    url: () => '/api/sessions',
    body: (c) => ({ caseId: c.caseId, suspectId: c.suspectId }),
    prepare: endRecordingSessions,
    // Only the handler may record; admins see the case but cannot start a session on it.
    expected: all(404, { handler: 502 }),
  },
  {
    method: 'POST',
    route: '/api/sessions/:id/end',
    url: (c) => `/api/sessions/${c.recordingSessionId}/end`,
    body: () => ({ uploadToYibanan: false }),
    remoteAddress: officeIp,
    prepare: async (c) => {
      await endRecordingSessions();
      c.recordingSessionId = await insertSession('recording');
    },
    expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }),
  },
  {
    method: 'POST',
    route: '/api/sessions/:id/retry',
    url: (c) => `/api/sessions/${c.failedSessionId}/retry`,
    prepare: async (c) => {
      await t.app.services.db.kysely.updateTable('recording_sessions').set({ state: 'failed' }).where('id', '=', c.failedSessionId).execute();
    },
    expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }),
  },
  { method: 'GET', route: '/api/files/:id/content', url: (c) => `/api/files/${c.fileId}/content`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  {
    method: 'GET',
    route: '/api/rooms/:id/live',
    url: (c) => `/api/rooms/${c.roomId}/live`,
    remoteAddress: officeIp,
    prepare: endRecordingSessions,
    // An admin passes the check; a plain GET without the WebSocket upgrade then gets 404 from @fastify/websocket.
    expected: all(404),
  },

  // rooms
  { method: 'GET', route: '/api/rooms', url: () => '/api/rooms', expected: all(403, { sysadmin: 200, admin: 200 }) },
  {
    method: 'POST',
    route: '/api/rooms',
    url: () => '/api/rooms',
    body: (c) => ({ ...roomBody, name: `权限测试房间${(c.counter += 1)}`, pcIp: `127.0.1.${c.counter % 250}`, password: 'x' }),
    expected: all(403, { sysadmin: 201, admin: 201 }),
  },
  { method: 'PUT', route: '/api/rooms/:id', url: (c) => `/api/rooms/${c.roomId}`, body: () => roomBody, expected: all(403, { sysadmin: 200, admin: 200 }) },
  { method: 'POST', route: '/api/rooms/:id/enabled', url: (c) => `/api/rooms/${c.roomId}/enabled`, body: () => ({ enabled: true }), expected: all(403, { sysadmin: 200, admin: 200 }) },
  { method: 'POST', route: '/api/rooms/:id/test', url: (c) => `/api/rooms/${c.roomId}/test`, expected: all(403, { sysadmin: 200, admin: 200 }) },
  { method: 'POST', route: '/api/rooms/test', url: () => '/api/rooms/test', body: () => ({ ...roomBody, password: 'x' }), expected: all(403, { sysadmin: 200, admin: 200 }) },

  // users and departments: 系统管理员 edits basic data, 安全管理员 roles and passwords
  { method: 'GET', route: '/api/departments', url: () => '/api/departments', expected: all(200) },
  {
    method: 'POST',
    route: '/api/departments',
    url: () => '/api/departments',
    body: (c) => ({ name: `权限测试部门${(c.counter += 1)}`, parentId: null }),
    expected: all(403, { sysadmin: 201, admin: 201 }),
  },
  {
    method: 'PUT',
    route: '/api/departments/:id',
    url: (c) => `/api/departments/${c.departmentId}`,
    body: () => ({ name: '权限测试根部门', parentId: null }),
    expected: all(403, { sysadmin: 204, admin: 204 }),
  },
  { method: 'GET', route: '/api/users', url: () => '/api/users', expected: all(403, { sysadmin: 200, secadmin: 200, admin: 200 }) },
  {
    method: 'POST',
    route: '/api/users',
    url: () => '/api/users',
    body: (c) => ({ username: `perm${(c.counter += 1)}`, displayName: '权限测试', departmentId: null }),
    expected: all(403, { sysadmin: 201, admin: 201 }),
  },
  {
    method: 'PUT',
    route: '/api/users/:id',
    url: (c) => `/api/users/${c.spareUserId}`,
    body: () => ({ displayName: 'spare', departmentId: null }),
    expected: all(403, { sysadmin: 200, admin: 200 }),
  },
  {
    method: 'POST',
    route: '/api/users/:id/status',
    url: (c) => `/api/users/${c.spareUserId}/status`,
    body: () => ({ status: 'active' }),
    expected: all(403, { sysadmin: 200, admin: 200 }),
  },
  {
    method: 'PUT',
    route: '/api/users/:id/roles',
    url: (c) => `/api/users/${c.spareUserId}/roles`,
    body: () => ({ roles: ['officer'] }),
    expected: all(403, { secadmin: 200, admin: 200 }),
  },
  { method: 'POST', route: '/api/users/:id/password-reset', url: (c) => `/api/users/${c.spareUserId}/password-reset`, expected: all(403, { secadmin: 204, admin: 204 }) },
  {
    method: 'DELETE',
    route: '/api/users/:id',
    url: (c) => `/api/users/${c.deletableUserId}`,
    prepare: async (c) => {
      c.deletableUserId = await insertUser(`deletable${(c.counter += 1)}`, 'officer');
    },
    expected: all(403, { sysadmin: 204, admin: 204 }),
  },
  // case access (案件同录授权, 在录案件列表, 同录案件列表, 视频补录, 案件移交)
  { method: 'GET', route: '/api/grant-candidates', url: () => '/api/grant-candidates', expected: all(200) },
  { method: 'GET', route: '/api/cases/:id/grants', url: (c) => `/api/cases/${c.caseId}/grants`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  {
    method: 'PUT',
    route: '/api/cases/:id/grants',
    url: (c) => `/api/cases/${c.caseId}/grants`,
    body: () => ({ granteeIds: [] }),
    expected: all(404, { handler: 200, sysadmin: 403, admin: 403 }),
  },
  {
    method: 'POST',
    route: '/api/cases/:id/grants',
    url: (c) => `/api/cases/${c.caseId}/grants`,
    body: (c) => ({ granteeId: c.spareUserId }),
    prepare: () => setSpareGrant(false),
    expected: all(404, { handler: 201, sysadmin: 403, admin: 403 }),
  },
  {
    method: 'DELETE',
    route: '/api/cases/:id/grants/:userId',
    url: (c) => `/api/cases/${c.caseId}/grants/${c.spareUserId}`,
    prepare: () => setSpareGrant(true),
    expected: all(404, { handler: 204, sysadmin: 403, admin: 403 }),
  },
  { method: 'GET', route: '/api/recorded-cases', url: () => '/api/recorded-cases', expected: all(200) },
  { method: 'GET', route: '/api/sessions/active', url: () => '/api/sessions/active', expected: all(200) },
  {
    method: 'PUT',
    route: '/api/cases/:id',
    url: (c) => `/api/cases/${c.caseId}`,
    body: () => ({ name: '王某某盗窃案', acceptedOn: '2026-03-01', suspects: [{ name: '王某某', idTypeCode: '990', idNumber: 'X1234567' }] }),
    // The seeded case came from 大统一2.0, so its handler passes the access check and is then refused the edit.
    expected: all(404, { handler: 409, sysadmin: 409, admin: 409 }),
  },
  {
    method: 'POST',
    route: '/api/backfills',
    url: () => '/api/backfills',
    body: (c) => ({ caseId: c.caseId, suspectId: c.suspectId, roomId: c.roomId, startedAt: '2026-01-01T01:00:00Z', endedAt: '2026-01-01T01:10:00Z', reason: '权限测试' }),
    // The test room's NVR is unreachable, so an allowed caller gets 502 after the permission check.
    expected: all(403, { sysadmin: 502, admin: 502 }),
  },
  {
    method: 'POST',
    route: '/api/cases/:id/transfer',
    url: (c) => `/api/cases/${c.transferCaseId}/transfer`,
    body: (c) => ({ handlerId: c.spareUserId }),
    prepare: async (c) => {
      c.transferCaseId = await insertTransferCase();
    },
    expected: all(403, { sysadmin: 200, admin: 200 }),
  },
  // documents, off-site recordings and dossiers
  {
    method: 'POST',
    route: '/api/sessions/:id/documents',
    url: (c) => `/api/sessions/${c.failedSessionId}/documents?fileName=${encodeURIComponent('笔录.pdf')}`,
    rawBody: PDF_BYTES,
    expected: all(404, { handler: 201, sysadmin: 201, admin: 201 }),
  },
  { method: 'GET', route: '/api/sessions/:id/documents', url: (c) => `/api/sessions/${c.failedSessionId}/documents`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  {
    method: 'POST',
    route: '/api/cases/:id/documents',
    url: (c) => `/api/cases/${c.caseId}/documents?fileName=${encodeURIComponent('补充.pdf')}`,
    rawBody: PDF_BYTES,
    expected: all(404, { handler: 201, sysadmin: 201, admin: 201 }),
  },
  { method: 'GET', route: '/api/cases/:id/documents', url: (c) => `/api/cases/${c.caseId}/documents`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  {
    method: 'GET',
    route: '/api/case-documents/:id/content',
    url: (c) => `/api/case-documents/${c.caseDocumentId}/content`,
    expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }),
  },
  { method: 'GET', route: '/api/cases/:id/dossier-files', url: (c) => `/api/cases/${c.caseId}/dossier-files`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  {
    method: 'GET',
    route: '/api/dossier-files/:id/content',
    url: (c) => `/api/dossier-files/${c.dossierFileId}/content`,
    expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }),
  },
  {
    method: 'POST',
    route: '/api/offsite-sessions',
    url: () => '/api/offsite-sessions',
    body: (c) => ({ caseId: c.caseId, suspectId: c.suspectId, startedAt: '2026-01-01T01:00:00Z', endedAt: '2026-01-01T02:00:00Z' }),
    expected: all(404, { handler: 201 }),
  },
  {
    method: 'GET',
    route: '/api/offsite-sessions/:id/uploads',
    url: (c) => `/api/offsite-sessions/${c.offsiteSessionId}/uploads`,
    expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }),
  },
  {
    method: 'DELETE',
    route: '/api/offsite-sessions/:id/uploads/:uploadId',
    url: (c) => `/api/offsite-sessions/${c.offsiteSessionId}/uploads/${c.offsiteUploadId}`,
    prepare: async (c) => {
      await reopenOffsiteSession();
      c.offsiteUploadId = await insertOffsiteUpload();
    },
    // System admins may act on any open session, as they may end room sessions.
    expected: all(404, { handler: 204, sysadmin: 204, admin: 204 }),
  },
  {
    method: 'POST',
    route: '/api/offsite-sessions/:id/end',
    url: (c) => `/api/offsite-sessions/${c.offsiteSessionId}/end`,
    prepare: reopenOffsiteSession,
    // Permission passes for the handler, who then gets the message to upload a video first.
    expected: all(404, { handler: 409, sysadmin: 409, admin: 409 }),
  },
  // audit trail (安全审计) and per-case access history
  { method: 'GET', route: '/api/audit/actions', url: () => '/api/audit/actions', expected: all(403, { auditor: 200 }) },
  { method: 'GET', route: '/api/audit/events', url: () => '/api/audit/events', expected: all(403, { auditor: 200 }) },
  { method: 'GET', route: '/api/audit/export', url: () => '/api/audit/export?format=csv', expected: all(403, { auditor: 200 }) },
  { method: 'POST', route: '/api/audit/verify', url: () => '/api/audit/verify', expected: all(403, { auditor: 200 }) },
  { method: 'GET', route: '/api/cases/:id/file-access', url: (c) => `/api/cases/${c.caseId}/file-access`, expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }) },
  // 易办案推送
  { method: 'GET', route: '/api/deliveries', url: () => '/api/deliveries', expected: all(403, { sysadmin: 200, admin: 200 }) },
  {
    method: 'POST',
    route: '/api/deliveries/:id/retry',
    url: (c) => `/api/deliveries/${c.deliveryId}/retry`,
    prepare: async (c) => {
      await t.app.services.db.kysely.updateTable('deliveries').set({ state: 'failed' }).where('id', '=', c.deliveryId).execute();
    },
    // The case's handler may retry the packages of the case, admins any; officers without the case get "not found".
    expected: all(404, { handler: 200, sysadmin: 200, admin: 200 }),
  },
  // 大统一同步 (system admin). This app has no 大统一2.0 interface configured, so 立即同步 returns 409.
  { method: 'GET', route: '/api/unified/status', url: () => '/api/unified/status', expected: all(403, { sysadmin: 200, admin: 200 }) },
  { method: 'GET', route: '/api/unified/runs', url: () => '/api/unified/runs', expected: all(403, { sysadmin: 200, admin: 200 }) },
  // Run 999999 does not exist: 404 shows the permission check passed.
  { method: 'GET', route: '/api/unified/runs/:id/rejected', url: () => '/api/unified/runs/999999/rejected', expected: all(403, { sysadmin: 404, admin: 404 }) },
  { method: 'POST', route: '/api/unified/sync', url: () => '/api/unified/sync', expected: all(403, { sysadmin: 409, admin: 409 }) },
  { method: 'GET', route: '/api/unified/handlers/unmatched', url: () => '/api/unified/handlers/unmatched', expected: all(403, { sysadmin: 200, admin: 200 }) },
  { method: 'GET', route: '/api/unified/import/template', url: () => '/api/unified/import/template', expected: all(403, { sysadmin: 200, admin: 200 }) },
  {
    method: 'POST',
    route: '/api/unified/import',
    url: () => '/api/unified/import?fileName=cases.json',
    // The template's example row is skipped, so the call imports nothing; a file without cases gets 400.
    rawBody: Buffer.from('{"cases":[{"bmsah":"示例-1"}]}'),
    expected: all(403, { sysadmin: 200, admin: 200 }),
  },
];

const passwords: Record<Exclude<Caller, 'anonymous'>, [string, string]> = {
  handler: ['zhangming', 'Tonglu@2026'],
  otherOfficer: ['lihua', 'Tonglu@2026'],
  sysadmin: ['sysonly', 'Tonglu@2026'],
  secadmin: ['secadmin', 'Tonglu@2026'],
  auditor: ['auditor', 'Tonglu@2026'],
  admin: ['admin', 'Admin@2026'],
};

async function loginAs(caller: Caller): Promise<string> {
  if (caller === 'anonymous') return '';
  const [username, password] = passwords[caller];
  // Callers log in from an office PC: ending a session elsewhere logs out every login made on the room PC.
  return t.login(username, password, officeIp);
}

beforeAll(async () => {
  // 易办案 on the discard port: packages are created, and the worker that would send them does not run in this test.
  t = await createTestApp({ yibananUrl: 'http://127.0.0.1:9' });
  const db = t.app.services.db.kysely;
  await insertUser('sysonly', 'sysadmin');
  context.spareUserId = await insertUser('spare', 'officer');
  context.counter = 0;

  const sample = await db.selectFrom('cases').innerJoin('suspects', 'suspects.case_id', 'cases.id').select(['cases.id', 'suspects.id as suspect_id']).where('cases.name', '=', '王某某盗窃案').executeTakeFirstOrThrow();
  context.caseId = sample.id;
  context.suspectId = sample.suspect_id;
  context.roomId = (await db.selectFrom('rooms').select('id').executeTakeFirstOrThrow()).id;
  context.departmentId = (await db.insertInto('departments').values({ name: '权限测试根部门', created_at: nowIso() }).returning('id').executeTakeFirstOrThrow()).id;

  context.failedSessionId = await insertSession('failed');
  const archivedSessionId = await insertSession('archived');
  writeFileSync(path.join(t.config.dataDir, 'permission-test.mp4'), Buffer.alloc(16));
  const file = await db
    .insertInto('media_files')
    .values({ session_id: archivedSessionId, kind: 'video', file_name: 'a.mp4', stored_path: 'permission-test.mp4', size: 16, sha256: '0', sm3: '0', duration_ms: 1000, codec: 'h264', width: 1, height: 1, created_by: null, created_at: nowIso() })
    .returning('id')
    .executeTakeFirstOrThrow();
  context.fileId = file.id;
  context.offsiteSessionId = await insertSession('recording', 'off-site');
  const handlerRow = await t.app.services.db.kysely.selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
  const dossierFile = await t.app.services.dossier.add({ caseId: context.caseId, name: '起诉意见书.pdf', folderPath: '诉讼文书卷', content: PDF_BYTES, source: 'test' });
  context.dossierFileId = dossierFile.id;
  const caseDocument = await t.app.services.documents.uploadToCase(
    { id: handlerRow.id, username: 'zhangming', displayName: '张明', roles: ['officer'], departmentName: null, passwordChangeReason: null },
    '127.0.0.1',
    context.caseId,
    '补充材料.pdf',
    Readable.from([PDF_BYTES]),
  );
  context.caseDocumentId = caseDocument.id;
  // A delivery record of the archived session; the worker does not run here, so retrying it only queues its job.
  await t.app.services.db.kysely.updateTable('recording_sessions').set({ upload_to_yibanan: 1 }).where('id', '=', archivedSessionId).execute();
  await db.transaction().execute((trx) => t.app.services.deliveries.planSessionPackage(trx, archivedSessionId));
  context.deliveryId = (await db.selectFrom('deliveries').select('id').where('session_id', '=', archivedSessionId).executeTakeFirstOrThrow()).id;

  for (const caller of callers) cookies[caller] = await loginAs(caller);
});

afterAll(async () => {
  await t?.close();
});

describe('permission table', () => {
  it('covers every registered API route', () => {
    const modulesDir = path.resolve(import.meta.dirname, '../../src/modules');
    const registered: string[] = [];
    for (const folder of readdirSync(modulesDir)) {
      for (const file of readdirSync(path.join(modulesDir, folder)).filter((name) => name.endsWith('.routes.ts'))) {
        const source = readFileSync(path.join(modulesDir, folder, file), 'utf8');
        for (const match of source.matchAll(/app\.(get|post|put|delete|patch)\(\s*'([^']+)'/g)) {
          registered.push(`${(match[1] as string).toUpperCase()} ${match[2]}`);
        }
      }
    }
    const covered = new Set(routeCases.map((item) => `${item.method} ${item.route}`));
    expect(registered.filter((route) => !covered.has(route))).toEqual([]);
  });

  for (const routeCase of routeCases) {
    it(`${routeCase.method} ${routeCase.route}`, async () => {
      const statuses: Partial<Record<Caller, number>> = {};
      for (const caller of callers) {
        await routeCase.prepare?.(context);
        const cookie = routeCase.needsFreshLogin ? await loginAs(caller) : cookies[caller];
        const response = await t.app.inject({
          method: routeCase.method,
          url: routeCase.url(context),
          headers: { ...(cookie ? { cookie } : {}), ...(routeCase.rawBody ? { 'content-type': 'application/octet-stream' } : {}) },
          payload: routeCase.rawBody ?? (routeCase.body?.(context) as Record<string, unknown> | undefined),
          remoteAddress: routeCase.remoteAddress ?? '127.0.0.1',
        });
        statuses[caller] = response.statusCode;
      }
      expect(statuses).toEqual(routeCase.expected);
    });
  }
});
