import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const run = promisify(execFile);
const serverDir = path.resolve(import.meta.dirname, '../..');

let t: TestApp;
let auditor: string;
let officer: string;
let otherOfficer: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  auditor = await t.login('auditor');
  officer = await t.login('zhangming');
  otherOfficer = await t.login('lihua');
  admin = await t.login('admin');
});

afterAll(async () => {
  await t?.close();
});

const db = () => t.app.services.db.kysely;

async function verifyApi(): Promise<{ ok: boolean; brokenId: number | null; reason: string | null; message: string }> {
  const response = await t.app.inject({ method: 'POST', url: '/api/audit/verify', headers: { cookie: auditor } });
  expect(response.statusCode).toBe(200);
  return response.json();
}

/** Runs the verify CLI from source against the test database and returns its exit code and output. */
async function verifyCli(): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env, TONGLU_DATABASE_URL: t.config.databaseUrl, TONGLU_DATA_DIR: t.config.dataDir };
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/audit-verify.ts'], { cwd: serverDir, env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

async function latestEvent(action: string) {
  return db().selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();
}

async function firstCaseId(): Promise<number> {
  const row = await db().selectFrom('cases').innerJoin('users', 'users.id', 'cases.handler_id').select('cases.id').where('users.username', '=', 'zhangming').orderBy('cases.id').executeTakeFirstOrThrow();
  return row.id;
}

describe('audit events', () => {
  it('records login with role and IP', async () => {
    const event = await latestEvent('auth.login');
    expect(event?.username).toBe('admin');
    expect(event?.role).toBe('sysadmin,secadmin');
    expect(event?.client_ip).toBe('127.0.0.1');
    expect(event?.result).toBe('success');
    expect(event?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records a failed login', async () => {
    await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'zhangming', password: 'wrong-password' } });
    const event = await latestEvent('auth.login');
    expect(event?.result).toBe('failure');
    expect(event?.username).toBe('zhangming');
  });

  it('records viewing a case and its sessions', async () => {
    const caseId = await firstCaseId();
    expect((await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}`, headers: { cookie: officer } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/sessions`, headers: { cookie: officer } })).statusCode).toBe(200);
    const caseView = await latestEvent('case.view');
    expect(caseView?.target_id).toBe(String(caseId));
    expect(caseView?.role).toBe('officer');
    expect((await latestEvent('session.list.view'))?.username).toBe('zhangming');
  });

  it('appends inside a caller transaction', async () => {
    await db().transaction().execute(async (trx) => {
      await t.app.services.audit.record({ userId: null, username: 'system', clientIp: null, action: 'test.in-transaction', result: 'success' }, trx);
    });
    expect((await latestEvent('test.in-transaction'))?.seq).toBeGreaterThan(0);
    expect((await verifyApi()).ok).toBe(true);
  });

  it('keeps record() calls without role working', async () => {
    await t.app.services.audit.record({ userId: null, username: 'system', clientIp: null, action: 'test.event', result: 'success' });
    const event = await latestEvent('test.event');
    expect(event?.role).toBeNull();
    expect((await verifyApi()).ok).toBe(true);
  });
});

describe('audit search', () => {
  it('filters by user, action and result', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/audit/events', query: { username: 'zhang', action: 'auth.login', result: 'failure' }, headers: { cookie: auditor } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.total).toBeGreaterThanOrEqual(1);
    for (const item of body.items) {
      expect(item.username).toContain('zhang');
      expect(item.actionLabel).toBe('登录');
      expect(item.resultLabel).toBe('失败');
    }
  });

  it('paginates and sorts by time', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/audit/events', query: { page: '1', pageSize: '3', sortBy: 'at', order: 'asc' }, headers: { cookie: auditor } });
    const body = response.json();
    expect(body.items).toHaveLength(3);
    expect(body.total).toBeGreaterThan(3);
    const times = body.items.map((item: { at: string }) => item.at);
    expect([...times].sort()).toEqual(times);
  });

  it('filters by time range and IP', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await t.app.inject({ method: 'GET', url: '/api/audit/events', query: { from: future }, headers: { cookie: auditor } });
    expect(none.json().total).toBe(0);
    const byIp = await t.app.inject({ method: 'GET', url: '/api/audit/events', query: { clientIp: '127.0.0' }, headers: { cookie: auditor } });
    expect(byIp.json().total).toBeGreaterThan(0);
  });

  it('treats LIKE wildcards in the username literally', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/audit/events', query: { username: '%' }, headers: { cookie: auditor } });
    expect(response.json().total).toBe(0);
  });

  it('rejects a start time after the end time', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/audit/events',
      query: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      headers: { cookie: auditor },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('开始时间不能晚于结束时间，请重新选择。');
  });

  it('rejects an unparsable time', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/audit/events', query: { from: 'yesterday' }, headers: { cookie: auditor } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('开始时间格式不正确，请重新选择。');
  });
});

describe('audit export', () => {
  it('exports CSV with a BOM and Chinese headers', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/audit/export', query: { format: 'csv', action: 'auth.login' }, headers: { cookie: auditor } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toContain('attachment');
    expect([...response.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = response.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('序号,时间,用户名,姓名,角色,客户端IP,操作,操作对象类型,操作对象,结果,详情');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((line) => line.includes(',登录,'))).toBe(true);
  });

  it('exports an Excel workbook', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/audit/export', query: { format: 'xlsx' }, headers: { cookie: auditor } });
    expect(response.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('安全审计');
    expect(sheet?.getRow(1).getCell(7).value).toBe('操作');
    expect(sheet?.rowCount).toBeGreaterThan(1);
  });

  it('records the export itself', async () => {
    expect((await latestEvent('audit.export'))?.username).toBe('auditor');
  });
});

describe('audit access control', () => {
  const routes = [
    { method: 'GET' as const, url: '/api/audit/events' },
    { method: 'GET' as const, url: '/api/audit/actions' },
    { method: 'GET' as const, url: '/api/audit/export?format=csv' },
    { method: 'POST' as const, url: '/api/audit/verify' },
  ];

  for (const route of routes) {
    it(`allows only the auditor: ${route.method} ${route.url}`, async () => {
      for (const cookie of [officer, otherOfficer, admin]) {
        const response = await t.app.inject({ method: route.method, url: route.url, headers: { cookie } });
        expect(response.statusCode).toBe(403);
      }
      expect((await t.app.inject({ method: route.method, url: route.url })).statusCode).toBe(401);
      expect((await t.app.inject({ method: route.method, url: route.url, headers: { cookie: auditor } })).statusCode).toBe(200);
    });
  }
});

describe('file access history', () => {
  let caseId: number;
  let fileId: number;

  beforeAll(async () => {
    caseId = await firstCaseId();
    const handler = await db().selectFrom('users').select('id').where('username', '=', 'zhangming').executeTakeFirstOrThrow();
    const suspect = await db().selectFrom('suspects').select('id').where('case_id', '=', caseId).executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    const session = await db()
      .insertInto('recording_sessions')
      .values({ case_id: caseId, suspect_id: suspect.id, kind: 'room', room_id: null, operator_id: handler.id, started_at: now, ended_at: now, clock_offset_ms: 0, upload_to_yibanan: 0, state: 'archived', failure_reason: null, gaps: '[]', archive_attempts: 1, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();

    const bytes = Buffer.from('not really a video, but the bytes are served as stored');
    const storedPath = `media/test/${session.id}.mp4`;
    mkdirSync(path.join(t.config.dataDir, 'media/test'), { recursive: true });
    writeFileSync(path.join(t.config.dataDir, storedPath), bytes);
    const file = await db()
      .insertInto('media_files')
      .values({ session_id: session.id, kind: 'video', file_name: '讯问-张三.mp4', stored_path: storedPath, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), sm3: '', duration_ms: null, codec: null, width: null, height: null, created_by: handler.id, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    fileId = file.id;

    await t.app.inject({ method: 'GET', url: `/api/files/${fileId}/content`, headers: { cookie: officer } });
    await t.app.inject({ method: 'GET', url: `/api/files/${fileId}/content?download=1`, headers: { cookie: admin } });
  });

  it('lists who played and downloaded', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/file-access`, headers: { cookie: officer } });
    expect(response.statusCode).toBe(200);
    const items = response.json();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ username: 'admin', action: 'file.download', actionLabel: '下载', fileId, fileName: '讯问-张三.mp4', clientIp: '127.0.0.1' });
    expect(items[1]).toMatchObject({ username: 'zhangming', displayName: '张明', action: 'file.play', actionLabel: '播放' });
  });

  it('hides history from unrelated officers', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/file-access`, headers: { cookie: otherOfficer } });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('CASE_NOT_FOUND');
  });

  it('returns 404 for an unknown case', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/cases/999999/file-access', headers: { cookie: officer } });
    expect(response.statusCode).toBe(404);
  });
});

describe('concurrent appends', () => {
  it('keeps one chain after 50 parallel requests', async () => {
    const caseId = await firstCaseId();
    const before = await db().selectFrom('audit_chain_head').select('count').executeTakeFirstOrThrow();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => t.app.inject({ method: 'GET', url: `/api/cases/${caseId}`, headers: { cookie: officer } })),
    );
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
    const after = await db().selectFrom('audit_chain_head').select('count').executeTakeFirstOrThrow();
    expect(Number(after.count) - Number(before.count)).toBe(50);
    expect((await verifyApi()).ok).toBe(true);
  });
});

// These tests tamper with the log, so they run last and each restores what it changed.
describe('tamper detection', () => {
  it('passes on the intact chain, API and CLI', async () => {
    const result = await verifyApi();
    expect(result.ok).toBe(true);
    expect(result.message).toContain('校验通过');
    const cli = await verifyCli();
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('校验通过');
  });

  it('detects an edited row', async () => {
    const target = await db().selectFrom('audit_events').select(['id', 'username']).where('seq', '=', 3).executeTakeFirstOrThrow();
    await db().updateTable('audit_events').set({ username: 'intruder' }).where('id', '=', target.id).execute();

    const result = await verifyApi();
    expect(result.ok).toBe(false);
    expect(result.brokenId).toBe(target.id);
    expect(result.reason).toBe('hash_mismatch');
    expect(result.message).toContain(`编号 ${target.id}`);
    const cli = await verifyCli();
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`编号 ${target.id}`);

    await db().updateTable('audit_events').set({ username: target.username }).where('id', '=', target.id).execute();
    expect((await verifyApi()).ok).toBe(true);
  });

  it('detects a deleted middle row', async () => {
    const deleted = await db().selectFrom('audit_events').selectAll().where('seq', '=', 5).executeTakeFirstOrThrow();
    const next = await db().selectFrom('audit_events').select('id').where('seq', '=', 6).executeTakeFirstOrThrow();
    await db().deleteFrom('audit_events').where('id', '=', deleted.id).execute();

    const result = await verifyApi();
    expect(result.ok).toBe(false);
    expect(result.brokenId).toBe(next.id);
    expect(result.reason).toBe('sequence_gap');
    expect((await verifyCli()).code).toBe(1);

    await db().insertInto('audit_events').values(deleted).execute();
    expect((await verifyApi()).ok).toBe(true);
  });

  it('detects a row inserted around the chain', async () => {
    const inserted = await db()
      .insertInto('audit_events')
      .values({ at: new Date().toISOString(), user_id: null, username: 'forger', client_ip: null, action: 'auth.login', target_type: null, target_id: null, result: 'success', details: null, seq: null, role: null, prev_hash: null, hash: null })
      .returning('id')
      .executeTakeFirstOrThrow();

    const result = await verifyApi();
    expect(result.ok).toBe(false);
    expect(result.brokenId).toBe(inserted.id);
    expect(result.reason).toBe('unchained_row');

    await db().deleteFrom('audit_events').where('id', '=', inserted.id).execute();
    expect((await verifyApi()).ok).toBe(true);
  });

  it('detects a deleted last row', async () => {
    // The verify call itself appends a row, so the last row is read after it.
    await verifyApi();
    const last = await db().selectFrom('audit_events').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
    await db().deleteFrom('audit_events').where('id', '=', last.id).execute();

    const cli = await verifyCli();
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('末尾的记录已被删除');
    const result = await verifyApi();
    expect(result.ok).toBe(false);
    expect(result.reason).toBe('rows_missing_at_end');
  });
});
