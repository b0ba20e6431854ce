import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { roomFor, startTestNvr, type NvrSimulator } from '../helpers/nvr-simulator.js';
import { sleep, waitFor } from '../helpers/polling.js';

let nvr: NvrSimulator;
let t: TestApp;
let caseId: number;
let suspectId: number;
let otherSuspectId: number;
let roomId: number;

interface SessionJson {
  id: number;
  kind: string;
  state: string;
  startedAt: string;
  endedAt: string;
  backfillReason: string | null;
  files: { id: number; kind: string; size: number; sha256: string; durationMs: number | null }[];
}

beforeAll(async () => {
  nvr = await startTestNvr();
  t = await createTestApp({ runWorker: true, archiveDelaySeconds: 1, archiveRetryBaseSeconds: 1, archiveMaxAttempts: 2, jobLeaseSeconds: 5 }, roomFor(nvr));
  const db = t.app.services.db.kysely;
  const theft = await db.selectFrom('cases').select('id').where('name', '=', '王某某盗窃案').executeTakeFirstOrThrow();
  caseId = theft.id;
  suspectId = (await db.selectFrom('suspects').select('id').where('case_id', '=', caseId).executeTakeFirstOrThrow()).id;
  const fraud = await db.selectFrom('cases').select('id').where('name', '=', '孙某某诈骗案').executeTakeFirstOrThrow();
  otherSuspectId = (await db.selectFrom('suspects').select('id').where('case_id', '=', fraud.id).executeTakeFirstOrThrow()).id;
  roomId = (await db.selectFrom('rooms').select('id').executeTakeFirstOrThrow()).id;
  // The simulator records from its start, so the backfilled range must lie after it.
  await sleep(7_000);
});

afterAll(async () => {
  await t?.close();
  await nvr?.stop();
});

async function countSessions(): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom('recording_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function secondsAgo(seconds: number): string {
  return new Date(Date.now() - seconds * 1000).toISOString();
}

async function postBackfill(payload: object, username = 'admin') {
  const cookie = await t.login(username);
  return t.app.inject({ method: 'POST', url: '/api/backfills', headers: { cookie }, payload });
}

describe('video backfill', () => {
  it('archives a past range from the NVR', async () => {
    const startedAt = secondsAgo(6);
    const endedAt = secondsAgo(2);
    const response = await postBackfill({ caseId, suspectId, roomId, startedAt, endedAt, reason: '房间电脑故障，未能开始办案' });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json() as SessionJson;
    expect(created.kind).toBe('backfill');
    // The archive job may already have started by the time the response is built.
    expect(['ended', 'fetching']).toContain(created.state);
    expect(created.backfillReason).toBe('房间电脑故障，未能开始办案');

    const officer = await t.login('zhangming');
    const archived = await waitFor('backfill archived', async () => {
      const list = (await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/sessions`, headers: { cookie: officer } })).json() as SessionJson[];
      const found = list.find((session) => session.id === created.id);
      return found?.state === 'archived' ? found : undefined;
    }, 90_000);
    const video = archived.files.find((file) => file.kind === 'video');
    expect(video).toBeDefined();
    expect(Math.abs((video?.durationMs ?? 0) / 1000 - 4)).toBeLessThan(2.1);
    const bytes = readFileSync(path.join(t.config.dataDir, 'archive', String(caseId), String(created.id), 'video.mp4'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(video?.sha256);

    const audit = await t.app.services.db.kysely.selectFrom('audit_events').select('details').where('action', '=', 'session.backfill').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details ?? '{}').reason).toBe('房间电脑故障，未能开始办案');
  });

  it('rejects bad input without writing a session', async () => {
    const before = await countSessions();
    const base = { caseId, suspectId, roomId, startedAt: secondsAgo(60), endedAt: secondsAgo(30), reason: '补录' };
    const cases: [object, number, string][] = [
      [{ ...base, startedAt: secondsAgo(30), endedAt: secondsAgo(60) }, 400, '结束时间必须晚于开始时间。'],
      [{ ...base, endedAt: new Date(Date.now() + 3600_000).toISOString() }, 400, '结束时间不能晚于当前时间'],
      [{ ...base, startedAt: secondsAgo(25 * 3600) }, 400, '补录时段不能超过 24 小时'],
      [{ ...base, reason: '   ' }, 400, '请填写补录原因。'],
      [{ caseId, suspectId, roomId, startedAt: base.startedAt, endedAt: base.endedAt }, 400, '请填写补录原因。'],
      [{ ...base, startedAt: '昨天' }, 400, '开始时间的格式不正确'],
      [{ ...base, suspectId: otherSuspectId }, 400, '所选嫌疑人不属于该案件'],
      [{ ...base, caseId: 99999 }, 404, '案件不存在'],
      [{ ...base, roomId: 99999 }, 404, '房间不存在'],
    ];
    for (const [payload, status, message] of cases) {
      const response = await postBackfill(payload);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().message).toContain(message);
    }
    expect(await countSessions()).toBe(before);
  });

  it('reports an offline NVR and writes nothing', async () => {
    const before = await countSessions();
    await nvr.setState({ offline: true });
    try {
      const response = await postBackfill({ caseId, suspectId, roomId, startedAt: secondsAgo(60), endedAt: secondsAgo(30), reason: '补录' });
      expect(response.statusCode).toBe(502);
      expect(response.json().message).toContain('硬盘录像机');
    } finally {
      await nvr.reset();
    }
    expect(await countSessions()).toBe(before);
  });

  it('is for system admins only', async () => {
    const response = await postBackfill({ caseId, suspectId, roomId, startedAt: secondsAgo(60), endedAt: secondsAgo(30), reason: '补录' }, 'zhangming');
    expect(response.statusCode).toBe(403);
  });
});
