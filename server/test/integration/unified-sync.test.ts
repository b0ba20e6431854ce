import type { SelectQueryBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../../simulators/unified/src/launch.js';
import type { Database } from '../../src/db/schema.js';
import { nowIso } from '../../src/lib/time.js';
import { normalizeUnifiedCaseNumber } from '../../src/modules/unified/unified-record.js';
import { waitFor } from '../helpers/polling.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { startTestUnified, unifiedConfig, type UnifiedSimulator } from '../helpers/unified-simulator.js';

/*
 * The 大统一2.0 pull against the simulator process: 1,000 cases with 3 suspects each, an incremental second run
 * that must keep every piece of local data, outages in the middle of a run and malformed records.
 */

const CASES = 1000;
const SUSPECTS_PER_CASE = 3;

let sim: UnifiedSimulator;
let t: TestApp;
let admin: string;
/** Case numbers whose 电子卷宗 files the simulator rewrote in the second run. */
let dossierChangedNumbers: string[] = [];

interface RunView {
  id: number;
  state: string;
  fetched: number;
  created: number;
  updated: number;
  deleted: number;
  rejected: number;
  rejectedSuspects: number;
  dossierFiles: number;
  error: string | null;
}

beforeAll(async () => {
  sim = await startTestUnified({ seedCases: CASES, suspectsPerCase: SUSPECTS_PER_CASE, seed: 7 });
  t = await createTestApp({ ...unifiedConfig(sim), unifiedPageSize: 200 });
  admin = await t.login('admin');
  t.app.services.worker.start();
}, 120_000);

afterAll(async () => {
  await t?.close();
  await sim?.stop();
});

/** Presses 立即同步; returns the id of the newest run before it. */
async function requestSync(): Promise<number> {
  const before = (await t.app.inject({ method: 'GET', url: '/api/unified/status', headers: { cookie: admin } })).json();
  const response = await t.app.inject({ method: 'POST', url: '/api/unified/sync', headers: { cookie: admin } });
  expect(response.statusCode, response.body).toBe(202);
  return before.lastRun?.id ?? 0;
}

/** Presses 立即同步 and waits until that run has finished; returns the run. */
async function runSync(): Promise<RunView> {
  return waitForRun(await requestSync());
}

async function waitForRun(previousId: number): Promise<RunView> {
  return waitFor(
    'the sync run to finish',
    async () => {
      const status = (await t.app.inject({ method: 'GET', url: '/api/unified/status', headers: { cookie: admin } })).json();
      const run = status.lastRun as RunView | null;
      return run && run.id > previousId && run.state !== 'running' && !status.isRunning ? run : undefined;
    },
    120_000,
    100,
  );
}

type CaseQuery = SelectQueryBuilder<Database, 'cases', object>;
type SuspectQuery = SelectQueryBuilder<Database, 'suspects', object>;

async function countCases(filter: (query: CaseQuery) => CaseQuery = (query) => query): Promise<number> {
  const query = filter(t.app.services.db.kysely.selectFrom('cases'));
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function countSuspects(filter: (query: SuspectQuery) => SuspectQuery): Promise<number> {
  const query = filter(t.app.services.db.kysely.selectFrom('suspects'));
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

const syncedCases = (query: CaseQuery) => query.where('unified_updated_at', 'is not', null);

async function caseByNumber(caseNumber: string) {
  return t.app.services.db.kysely.selectFrom('cases').selectAll().where('case_number', '=', caseNumber).executeTakeFirstOrThrow();
}

async function userId(username: string): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.id;
}

describe('unified sync', () => {
  it('imports 1000 cases with their suspects', async () => {
    // The demo seed contains 大统一 cases whose numbers the simulator also generates; those are updated, not created.
    const numbers = (await sim.cases()).map((record) => normalizeUnifiedCaseNumber(record.bmsah));
    const seeded = await countCases((query) => query.where('case_number', 'in', numbers));
    const run = await runSync();
    expect(run.state).toBe('succeeded');
    expect(run.fetched).toBe(CASES);
    expect(run.created).toBe(CASES - seeded);
    expect(run.updated).toBe(seeded);
    expect(run.deleted).toBe(0);
    expect(run.rejected).toBe(0);
    expect(run.dossierFiles).toBeGreaterThanOrEqual(2 * CASES);

    expect(await countCases(syncedCases)).toBe(CASES);
    expect(await countCases((query) => query.where('case_number', 'in', numbers))).toBe(CASES);
    const deletedInSimulator = (await sim.cases()).filter((record) => record.sfsc === 'Y').length;
    expect(await countCases((query) => query.where('deleted_in_unified_at', 'is not', null))).toBe(deletedInSimulator);
    expect(await countSuspects((query) => query.where('source', '=', 'unified').where('external_id', 'is not', null))).toBe(CASES * SUSPECTS_PER_CASE);
    const distinct = await t.app.services.db.kysely
      .selectFrom('cases')
      .select((eb) => eb.fn.count('case_number').distinct().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(distinct.n)).toBe(await countCases());
  });

  it('matches handlers by login name and lists the others', async () => {
    const records = await sim.cases();
    const ofZhangming = records.find((record) => record.cbrgh === '0371');
    expect(ofZhangming).toBeDefined();
    expect((await caseByNumber(ofZhangming!.bmsah)).handler_id).toBe(await userId('zhangming'));

    const response = await t.app.inject({ method: 'GET', url: '/api/unified/handlers/unmatched', headers: { cookie: admin } });
    expect(response.statusCode).toBe(200);
    const codes = response.json().map((row: { code: string }) => row.code).sort();
    expect(codes).toEqual(['0373', '0381', '0382']);
    const waiting = response.json().reduce((sum: number, row: { waitingCaseCount: number }) => sum + row.waitingCaseCount, 0);
    expect(waiting).toBe(records.filter((record) => ['0373', '0381', '0382'].includes(record.cbrgh)).length);
  });

  it('assigns waiting cases once the 工号 is set', async () => {
    const wangfangCase = (await sim.cases()).find((record) => record.cbrgh === '0373');
    const before = await caseByNumber(wangfangCase!.bmsah);
    expect(before.handler_id).not.toBe(await userId('lihua'));

    const lihua = await userId('lihua');
    const response = await t.app.inject({
      method: 'PUT',
      url: `/api/users/${lihua}`,
      headers: { cookie: admin },
      payload: { displayName: '李华', departmentId: null, employeeNo: ' 0373 ' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().employeeNo).toBe('0373');
    // The cases move when the 工号 is saved, before anyone opens the sync page or syncs again.
    expect((await caseByNumber(wangfangCase!.bmsah)).handler_id).toBe(lihua);

    const taken = await t.app.inject({
      method: 'PUT',
      url: `/api/users/${await userId('zhangming')}`,
      headers: { cookie: admin },
      payload: { displayName: '张明', departmentId: null, employeeNo: '0373' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toBe('工号 0373 已被用户“李华”使用，请核对。');

    const unmatched = (await t.app.inject({ method: 'GET', url: '/api/unified/handlers/unmatched', headers: { cookie: admin } })).json();
    expect(unmatched.map((row: { code: string }) => row.code).sort()).toEqual(['0381', '0382']);
    expect((await caseByNumber(wangfangCase!.bmsah)).handler_id).toBe(lihua);
  });

  it('second run applies changes and keeps local data', async () => {
    const db = t.app.services.db.kysely;
    const zhangming = await userId('zhangming');
    const lihua = await userId('lihua');

    const changed = await sim.change(50, 11);
    dossierChangedNumbers = changed.changes.filter((change) => change.fields.includes('dossier')).map((change) => change.bmsah);
    const deleted = await sim.deleteCases(5, 12);
    const touched = new Set([...changed.bmsah, ...deleted]);
    const untouched = (await sim.cases()).filter((record) => !touched.has(record.bmsah) && record.cbrgh === '0371' && record.sfsc === 'N');
    const [keptRecord, transferredRecord] = untouched as [CaseRecord, CaseRecord];

    // Local data on the first case: a grant, a session with a 2.0 suspect and a suspect added in Tonglu.
    const kept = await caseByNumber(keptRecord.bmsah);
    const grant = await t.app.inject({ method: 'POST', url: `/api/cases/${kept.id}/grants`, headers: { cookie: await t.login('zhangming') }, payload: { granteeId: lihua } });
    expect(grant.statusCode, grant.body).toBe(201);
    const [recordedSuspect] = await db.selectFrom('suspects').selectAll().where('case_id', '=', kept.id).where('external_id', '=', keptRecord.xyr[0]!.xyrbh).execute();
    const now = nowIso();
    await db
      .insertInto('recording_sessions')
      .values({
        case_id: kept.id,
        suspect_id: recordedSuspect!.id,
        kind: 'room',
        room_id: null,
        operator_id: zhangming,
        started_at: now,
        ended_at: now,
        clock_offset_ms: 0,
        upload_to_yibanan: 0,
        state: 'ended',
        failure_reason: null,
        gaps: '[]',
        archive_attempts: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db
      .insertInto('suspects')
      .values({ case_id: kept.id, name: '本地嫌疑人', id_type_code: '990', id_type_name: '其他', id_number: 'LOCAL0001', source: 'local', created_at: now })
      .execute();

    // The second case is moved to 李华 in Tonglu (案件移交).
    const transferred = await caseByNumber(transferredRecord.bmsah);
    const transfer = await t.app.inject({ method: 'POST', url: `/api/cases/${transferred.id}/transfer`, headers: { cookie: admin }, payload: { handlerId: lihua } });
    expect(transfer.statusCode, transfer.body).toBe(200);

    // 2.0 drops the recorded suspect from the first case and renames the second, with the same handler.
    const { gxsj: _a, ...keptChange } = { ...keptRecord, xyr: keptRecord.xyr.slice(1) };
    const { gxsj: _b, ...transferredChange } = { ...transferredRecord, ajmc: `${transferredRecord.ajmc}（更名）` };
    await sim.upsert([keptChange, transferredChange]);

    const run = await runSync();
    expect(run.state).toBe('succeeded');
    const deletedSet = new Set(deleted);
    const updatedExpected = new Set([...changed.bmsah, keptRecord.bmsah, transferredRecord.bmsah].filter((bmsah) => !deletedSet.has(bmsah))).size;
    expect(run.deleted).toBe(5);
    expect(run.updated).toBe(updatedExpected);
    expect(run.created).toBe(0);
    expect(run.rejected).toBe(0);
    expect(run.fetched).toBe(updatedExpected + 5);

    expect(await countCases(syncedCases)).toBe(CASES);
    expect(await countCases((query) => query.where('deleted_in_unified_at', 'is not', null))).toBe((await sim.cases()).filter((record) => record.sfsc === 'Y').length);

    const keptAfter = await caseByNumber(keptRecord.bmsah);
    expect(keptAfter.handler_id).toBe(zhangming);
    const activeGrants = await db.selectFrom('case_grants').select('id').where('case_id', '=', kept.id).where('revoked_at', 'is', null).execute();
    expect(activeGrants).toHaveLength(1);
    const suspects = await db.selectFrom('suspects').selectAll().where('case_id', '=', kept.id).orderBy('id').execute();
    expect(suspects).toHaveLength(SUSPECTS_PER_CASE + 1);
    expect(suspects.find((row) => row.id === recordedSuspect!.id)?.removed_in_unified_at).not.toBeNull();
    expect(suspects.find((row) => row.source === 'local')?.name).toBe('本地嫌疑人');
    expect(await db.selectFrom('recording_sessions').select('id').where('case_id', '=', kept.id).execute()).toHaveLength(1);

    const transferredAfter = await caseByNumber(transferredRecord.bmsah);
    expect(transferredAfter.name).toBe(`${transferredRecord.ajmc}（更名）`);
    expect(transferredAfter.handler_id).toBe(lihua);

    // A handler change in 2.0 overrides the Tonglu transfer.
    const { gxsj: _c, ...handlerChange } = { ...transferredRecord, cbrgh: '0371', cbr: '张明' };
    await sim.upsert([{ ...handlerChange, cbrgh: '0372', cbr: '李华' }]);
    await runSync();
    await sim.upsert([handlerChange]);
    const third = await runSync();
    expect(third.updated).toBe(1);
    expect((await caseByNumber(transferredRecord.bmsah)).handler_id).toBe(zhangming);
  });

  it('refuses new sessions on deleted cases', async () => {
    const deletedCase = await t.app.services.db.kysely.selectFrom('cases').selectAll().where('deleted_in_unified_at', 'is not', null).executeTakeFirstOrThrow();
    await t.app.services.db.kysely.updateTable('cases').set({ handler_id: await userId('zhangming') }).where('id', '=', deletedCase.id).execute();
    const suspect = await t.app.services.db.kysely.selectFrom('suspects').select('id').where('case_id', '=', deletedCase.id).executeTakeFirstOrThrow();

    const response = await t.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { cookie: await t.login('zhangming') },
      payload: { caseId: deletedCase.id, suspectId: suspect.id },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toContain('已在大统一删除');

    const offsite = await t.app.inject({
      method: 'POST',
      url: '/api/offsite-sessions',
      headers: { cookie: await t.login('zhangming') },
      payload: { caseId: deletedCase.id, suspectId: suspect.id, startedAt: '2026-03-02T09:00:00+08:00', endedAt: '2026-03-02T10:00:00+08:00' },
    });
    expect(offsite.statusCode, offsite.body).toBe(409);
    expect(offsite.json().message).toBe('该案件已在大统一删除，不能再开始同录。');

    const detail = (await t.app.inject({ method: 'GET', url: `/api/cases/${deletedCase.id}`, headers: { cookie: admin } })).json();
    expect(detail.deletedInUnifiedAt).not.toBeNull();
  });

  it('reappearing case is unmarked', async () => {
    const deletedRecord = (await sim.cases()).find((record) => record.sfsc === 'Y')!;
    const { gxsj: _gxsj, ...restored } = { ...deletedRecord, sfsc: 'N' as const };
    await sim.upsert([restored]);
    const run = await runSync();
    expect(run.updated).toBe(1);
    expect((await caseByNumber(deletedRecord.bmsah)).deleted_in_unified_at).toBeNull();
  });

  it('fetches dossier files with their hashes', async () => {
    const record = (await sim.cases()).find((item) => item.sfsc === 'N')!;
    const caseRow = await caseByNumber(record.bmsah);
    const files = await waitFor(
      'dossier files of one case',
      async () => {
        const rows = await t.app.services.db.kysely.selectFrom('dossier_files').selectAll().where('case_id', '=', caseRow.id).where('superseded_at', 'is', null).execute();
        return rows.length >= 2 ? rows : undefined;
      },
      120_000,
    );
    expect(files.every((file) => file.external_id !== null && /^[0-9a-f]{64}$/.test(file.sha256))).toBe(true);
    const listed = await t.app.inject({ method: 'GET', url: `/api/cases/${caseRow.id}/dossier-files`, headers: { cookie: admin } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().length).toBe(files.length);
  });
});

describe('unified sync dossier versions', () => {
  it('changed file supersedes the old one', async () => {
    const db = t.app.services.db.kysely;
    expect(dossierChangedNumbers.length, 'cases whose dossier changed in the second run').toBeGreaterThan(0);

    // A rewritten file has two download jobs: one per SHA-256 of the same 文件编号.
    const jobs = await db.selectFrom('jobs').select(['id', 'payload']).where('type', '=', 'dossier-fetch').orderBy('id').execute();
    const versions = new Map<string, { caseId: number; fileId: string; sha256: string }[]>();
    for (const job of jobs) {
      const payload = JSON.parse(job.payload) as { caseId: number; fileId: string; sha256: string };
      const key = `${payload.caseId}:${payload.fileId}`;
      versions.set(key, [...(versions.get(key) ?? []), payload]);
    }
    const rewritten = [...versions.values()].find((list) => list.length > 1);
    expect(rewritten, 'a dossier file rewritten in 大统一2.0').toBeDefined();
    const newest = rewritten!.at(-1)!;

    const current = await waitFor(
      'the new version of the rewritten file',
      async () => {
        const rows = await db
          .selectFrom('dossier_files')
          .selectAll()
          .where('case_id', '=', newest.caseId)
          .where('external_id', '=', newest.fileId)
          .where('superseded_at', 'is', null)
          .execute();
        return rows.length === 1 && rows[0]!.sha256 === newest.sha256 ? rows : undefined;
      },
      150_000,
    );
    expect(current).toHaveLength(1);
    const listed = (await t.app.inject({ method: 'GET', url: `/api/cases/${newest.caseId}/dossier-files`, headers: { cookie: admin } })).json();
    expect(listed.filter((file: { sha256: string }) => file.sha256 === newest.sha256)).toHaveLength(1);
    expect(listed.filter((file: { sha256: string }) => file.sha256 === rewritten![0]!.sha256)).toHaveLength(0);
  }, 180_000);
});

describe('unified sync failures', () => {
  it('wrong token fails with a Chinese reason', async () => {
    const other = await createTestApp({ ...unifiedConfig(sim), unifiedToken: 'wrong-token' });
    try {
      other.app.services.worker.start();
      const cookie = await other.login('admin');
      expect((await other.app.inject({ method: 'POST', url: '/api/unified/sync', headers: { cookie } })).statusCode).toBe(202);
      const status = await waitFor(
        'the failed run',
        async () => {
          const body = (await other.app.inject({ method: 'GET', url: '/api/unified/status', headers: { cookie } })).json();
          return body.lastRun?.state === 'failed' && !body.isRunning ? body : undefined;
        },
        30_000,
        100,
      );
      expect(status.lastRun.error).toBe('大统一2.0 拒绝了访问（HTTP 401），请核对接口令牌 TONGLU_UNIFIED_TOKEN。');
      expect(JSON.stringify(status)).not.toContain('wrong-token');
    } finally {
      await other.close();
    }
  });

  it('outage mid-run fails then resumes', async () => {
    await sim.generate(600, { suspectsPerCase: 1, seed: 21 });
    const previousId = await requestSync();
    // Once the first page is stored, every request fails.
    await waitFor('the first page of the run', async () => {
      const run = await t.app.services.db.kysely.selectFrom('unified_sync_runs').selectAll().where('id', '>', previousId).executeTakeFirst();
      return run && run.fetched > 0;
    }, 60_000, 5);
    await sim.setState({ errorStatus: 503, errorEvery: 1 });
    const failed = await waitForRun(previousId);
    expect(failed.created).toBeGreaterThan(0);
    expect(failed.created).toBeLessThan(600);
    expect(failed.state).toBe('failed');
    expect(failed.error).toContain('503');
    await sim.setState({ errorStatus: null });

    const resumed = await runSync();
    expect(resumed.state).toBe('succeeded');
    expect(failed.created + resumed.created).toBe(600);
    expect(await countCases(syncedCases)).toBe(CASES + 600);
  });

  it('dropped connection fails then resumes', async () => {
    await sim.generate(300, { suspectsPerCase: 1, seed: 22 });
    await sim.setState({ dropAfterBytes: 2000 });
    const failed = await runSync();
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/中断|JSON/);
    await sim.setState({ dropAfterBytes: null });

    await sim.setState({ down: true });
    const down = await runSync();
    expect(down.state).toBe('failed');
    expect(down.error).toContain('无法连接大统一2.0');
    await sim.setState({ down: false });

    const resumed = await runSync();
    expect(resumed.created).toBe(300);
    expect(await countCases(syncedCases)).toBe(CASES + 900);
  });

  it('rejects malformed records and imports the rest', async () => {
    await sim.generate(10, { suspectsPerCase: 2, seed: 23 });
    await sim.setState({ malformed: ['missing-fields'], malformedPages: 1 });
    const run = await runSync();
    expect(run.state).toBe('succeeded');
    expect(run.fetched).toBe(10);
    expect(run.created).toBe(9);
    // One case misses both fields: two reasons, one rejected case.
    expect(run.rejected).toBe(1);
    expect(run.rejectedSuspects).toBe(0);

    const { items: rows, total } = (await t.app.inject({ method: 'GET', url: `/api/unified/runs/${run.id}/rejected`, headers: { cookie: admin } })).json();
    expect(total).toBe(2);
    expect(rows.map((row: { field: string }) => row.field).sort()).toEqual(['ajmc', 'slrq']);
    expect(rows.map((row: { fieldName: string }) => row.fieldName).sort()).toEqual(['受理日期', '案件名称']);
    expect(rows.map((row: { reason: string }) => row.reason).sort()).toEqual([
      '缺少受理日期。请在大统一2.0 中更正后重新同步。',
      '缺少案件名称。请在大统一2.0 中更正后重新同步。',
    ]);
  });

  it('rejects bad ID numbers per suspect', async () => {
    await sim.generate(5, { suspectsPerCase: 2, seed: 24 });
    await sim.setState({ malformed: ['bad-id-numbers'], malformedPages: 1 });
    const run = await runSync();
    expect(run.state).toBe('succeeded');
    expect(run.created).toBe(5);
    // The cases are imported without the two bad suspects, so no case counts as rejected.
    expect(run.rejected).toBe(0);
    expect(run.rejectedSuspects).toBe(2);
    const { items: rows } = (await t.app.inject({ method: 'GET', url: `/api/unified/runs/${run.id}/rejected`, headers: { cookie: admin } })).json();
    expect(rows.map((row: { field: string }) => row.field)).toEqual(['zjhm', 'zjhm']);
    const reasons: string[] = rows.map((row: { reason: string }) => row.reason).sort();
    expect(reasons[0]).toMatch(/^居民身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X（证件号码“.+”）。请在大统一2.0 中更正后重新同步。$/);
    expect(reasons[1]).toMatch(/^居民身份证号校验位不正确（证件号码“\d{17}[\dX]”）。请在大统一2.0 中更正后重新同步。$/);
    expect(reasons.join('')).not.toContain('重新输入');
  });

  it('rejects 10 MB strings and bad dates', async () => {
    await sim.generate(5, { suspectsPerCase: 1, seed: 25 });
    await sim.setState({ malformed: ['huge-strings', 'bad-dates'], malformedPages: 1 });
    const run = await runSync();
    expect(run.state).toBe('succeeded');
    expect(run.created).toBe(4);
    const { items: rows } = (await t.app.inject({ method: 'GET', url: `/api/unified/runs/${run.id}/rejected`, headers: { cookie: admin } })).json();
    expect(rows.map((row: { field: string }) => row.field).sort()).toEqual(['ajmc', 'slrq']);
    expect(rows.find((row: { field: string }) => row.field === 'ajmc').reason).toContain('案件名称过长');
  });

  it('HTTP 400 error names code and message', async () => {
    await sim.setState({ errorStatus: 400, errorEvery: 1 });
    try {
      const failed = await runSync();
      expect(failed.state).toBe('failed');
      expect(failed.error).toBe(
        '大统一2.0 返回错误（HTTP 400，/api/v1/handlers）：SIMULATED_ERROR – Simulated HTTP 400 response.。请将此信息提供给大统一2.0 维护方核对。',
      );
    } finally {
      await sim.setState({ errorStatus: null });
    }
  });

  it('truncated JSON fails the run only', async () => {
    await sim.generate(5, { suspectsPerCase: 1, seed: 26 });
    await sim.setState({ malformed: ['bad-json'], malformedPages: null });
    const failed = await runSync();
    expect(failed.state).toBe('failed');
    expect(failed.error).toContain('不是有效的 JSON');
    await sim.setState({ malformed: [] });

    const run = await runSync();
    expect(run.state).toBe('succeeded');
    expect(run.created).toBe(5);
    const health = await t.app.inject({ method: 'GET', url: '/api/unified/status', headers: { cookie: admin } });
    expect(health.statusCode).toBe(200);
  });
});
