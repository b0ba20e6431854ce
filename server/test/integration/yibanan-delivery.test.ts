import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackageId } from '../../src/modules/delivery/delivery-manifest.js';
import type { AppConfig } from '../../src/config/config.js';
import type { DemoRoom } from '../../src/db/seed.js';
import { roomFor, startTestNvr } from '../helpers/nvr-simulator.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { waitFor } from '../helpers/polling.js';
import { insertArchivedSession, startTestYibanan, type SimPackage, type YibananSimulator } from '../helpers/yibanan-simulator.js';

const PDF_BYTES = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const CHUNK_BYTES = 256 * 1024;

interface DeliveryJson {
  id: number;
  packageId: string;
  sessionId: number;
  kind: string;
  state: string;
  stateLabel: string;
  bytesTotal: number;
  bytesSent: number;
  attempts: number;
  lastError: string | null;
  receiptId: string | null;
  canRetry: boolean;
}

interface SessionJson {
  id: number;
  yibanan?: { state: string; packages: DeliveryJson[] };
}

let sim: YibananSimulator;

interface Fixture {
  t: TestApp;
  admin: string;
  handler: string;
  caseId: number;
  suspectId: number;
  handlerId: number;
  site: string;
}

let fixtureCount = 0;

/** Builds an app with its own database. Each gets its own site code, because session ids restart in every database and the receiver is shared. */
async function createFixture(overrides: Partial<AppConfig>, room?: DemoRoom): Promise<Fixture> {
  fixtureCount += 1;
  const site = `T${fixtureCount}${Date.now() % 100000}`;
  const t = await createTestApp({
    runWorker: true,
    jobLeaseSeconds: 5,
    archiveRetryBaseSeconds: 1,
    yibananUrl: sim.baseUrl,
    yibananToken: sim.token,
    yibananChunkMb: CHUNK_BYTES / 1024 / 1024,
    yibananRetryBaseSeconds: 1,
    yibananSite: site,
    ...overrides,
  }, room);
  const db = t.app.services.db.kysely;
  const sample = await db
    .selectFrom('cases')
    .innerJoin('suspects', 'suspects.case_id', 'cases.id')
    .select(['cases.id', 'cases.handler_id', 'suspects.id as suspect_id'])
    .where('cases.name', '=', '王某某盗窃案')
    .executeTakeFirstOrThrow();
  return { t, admin: await t.login('admin'), handler: await t.login('zhangming'), caseId: sample.id, suspectId: sample.suspect_id, handlerId: sample.handler_id, site };
}

function archive(fixture: Fixture, options: { uploadToYibanan?: boolean; videoSizes?: number[] } = {}): Promise<number> {
  return insertArchivedSession(fixture.t, { caseId: fixture.caseId, suspectId: fixture.suspectId, operatorId: fixture.handlerId, ...options });
}

async function listDeliveries(fixture: Fixture, query = ''): Promise<{ items: DeliveryJson[]; total: number }> {
  const response = await fixture.t.app.inject({ method: 'GET', url: `/api/deliveries?pageSize=200${query}`, headers: { cookie: fixture.admin } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function deliveryOf(fixture: Fixture, packageId: string): Promise<DeliveryJson | undefined> {
  return (await listDeliveries(fixture)).items.find((item) => item.packageId === packageId);
}

async function waitForDeliveryState(fixture: Fixture, packageId: string, state: string, timeoutMs = 30_000): Promise<DeliveryJson> {
  return waitFor(`${packageId} to be ${state}`, async () => {
    const delivery = await deliveryOf(fixture, packageId);
    return delivery?.state === state ? delivery : undefined;
  }, timeoutMs, 100);
}

async function mediaHashes(fixture: Fixture, sessionId: number): Promise<Map<string, string>> {
  const rows = await fixture.t.app.services.db.kysely.selectFrom('media_files').select(['file_name', 'sha256', 'kind']).where('session_id', '=', sessionId).where('kind', '!=', 'manifest').execute();
  return new Map(rows.map((row) => [row.file_name, row.sha256]));
}

function packageIdOf(fixture: Fixture, sessionId: number, seq = 1): string {
  return buildPackageId(fixture.site, sessionId, seq);
}

/** Checks that the receiver accepted the package exactly once and verified every file with our SHA-256. */
async function expectAcceptedOnce(packageId: string, ourHashes: string[]): Promise<SimPackage> {
  const received = await sim.getPackage(packageId);
  expect(received?.state).toBe('accepted');
  expect(received?.acceptCount).toBe(1);
  expect(received?.files.map((file) => file.verifiedSha256).sort()).toEqual([...ourHashes].sort());
  return received as SimPackage;
}

/** Returns a package as the case's 详细资料 lists it for the user of `cookie`. */
async function sessionPackage(fixture: Fixture, cookie: string, sessionId: number, deliveryId: number): Promise<DeliveryJson> {
  const response = await fixture.t.app.inject({ method: 'GET', url: `/api/cases/${fixture.caseId}/sessions`, headers: { cookie } });
  expect(response.statusCode, response.body).toBe(200);
  const session = (response.json() as SessionJson[]).find((item) => item.id === sessionId);
  const delivery = session?.yibanan?.packages.find((item) => item.id === deliveryId);
  expect(delivery, `package ${deliveryId} in session ${sessionId}`).toBeDefined();
  return delivery as DeliveryJson;
}

beforeAll(async () => {
  sim = await startTestYibanan();
});

afterAll(async () => {
  await sim?.stop();
});

describe('易办案 delivery over HTTP', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await createFixture({ yibananMaxAttempts: 8 });
  });

  afterAll(async () => {
    await f?.t.close();
  });

  it('delivers an archived off-site session with its documents', async () => {
    const mediaDir = mkdtempSync(path.join(tmpdir(), 'tonglu-delivery-media-'));
    const clip = path.join(mediaDir, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-movflags', '+faststart', clip]);
    const baseUrl = await f.t.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const started = await f.t.app.inject({
        method: 'POST',
        url: '/api/offsite-sessions',
        headers: { cookie: f.handler },
        payload: { caseId: f.caseId, suspectId: f.suspectId, startedAt: new Date(Date.now() - 7200_000).toISOString(), endedAt: new Date(Date.now() - 3600_000).toISOString() },
      });
      expect(started.statusCode, started.body).toBe(201);
      const sessionId = started.json().id as number;

      const document = await f.t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/documents?fileName=${encodeURIComponent('讯问笔录.pdf')}`, headers: { cookie: f.handler, 'content-type': 'application/octet-stream' }, payload: PDF_BYTES });
      expect(document.statusCode, document.body).toBe(201);

      const bytes = readFileSync(clip);
      const metadata = [`sessionId ${Buffer.from(String(sessionId)).toString('base64')}`, `filename ${Buffer.from('外出讯问.mp4').toString('base64')}`].join(',');
      const created = await fetch(`${baseUrl}/api/uploads`, { method: 'POST', headers: { cookie: f.handler, ...f.t.csrfHeaders(f.handler), 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length), 'Upload-Metadata': metadata } });
      expect(created.status).toBe(201);
      const patched = await fetch(`${baseUrl}${created.headers.get('location')}`, {
        method: 'PATCH',
        headers: { cookie: f.handler, ...f.t.csrfHeaders(f.handler), 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
        body: new Uint8Array(bytes),
      });
      expect(patched.status).toBe(204);
      const ended = await f.t.app.inject({ method: 'POST', url: `/api/offsite-sessions/${sessionId}/end`, headers: { cookie: f.handler } });
      expect(ended.statusCode, ended.body).toBe(200);

      const packageId = packageIdOf(f, sessionId);
      const delivery = await waitForDeliveryState(f, packageId, 'delivered', 60_000);
      expect(delivery.kind).toBe('session');
      expect(delivery.bytesSent).toBe(delivery.bytesTotal);
      expect(delivery.receiptId).toBeTruthy();

      const hashes = await mediaHashes(f, sessionId);
      const received = await expectAcceptedOnce(packageId, [...hashes.values()]);
      const manifest = received.manifest as {
        packageId: string;
        kind: string;
        followsPackageId: string | null;
        case: unknown;
        suspect: { zjhm: string };
        operator: unknown;
        room: unknown;
        session: { startedAt: string };
        files: { kind: string; path: string; size: number; sha256: string }[];
      };
      expect(manifest.packageId).toBe(packageId);
      expect(manifest.kind).toBe('session');
      expect(manifest.followsPackageId).toBeNull();
      expect(manifest.case).toMatchObject({ bmsah: '昆检刑诉受[2026]320583000101号', ajmc: '王某某盗窃案' });
      expect(manifest.suspect).toMatchObject({ xm: '王某某', zjlx_dm: '111', zjlx_mc: '居民身份证' });
      expect(manifest.suspect.zjhm).toMatch(/^32058319900307121[0-9X]$/);
      expect(manifest.operator).toEqual({ name: '张明', gh: '0371', dlzh: 'zhangming' });
      expect(manifest.room).toBeNull();
      expect(manifest.session.startedAt).toMatch(/\+08:00$/);
      expect(manifest.files.map((file) => file.kind)).toEqual(['video', 'document']);
      expect(manifest.files[1]?.path).toBe('documents/2-讯问笔录.pdf');
      expect(manifest.files[1]?.sha256).toBe(createHash('sha256').update(PDF_BYTES).digest('hex'));
      expect(manifest.files[0]?.size).toBe(readFileSync(path.join(f.t.config.dataDir, 'archive', String(f.caseId), String(sessionId), 'video-1.mp4')).length);

      // 同录视频下载 › 详细资料 shows the package per session.
      const sessions = await f.t.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/sessions`, headers: { cookie: f.handler } });
      const listed = sessions.json().find((item: { id: number }) => item.id === sessionId);
      expect(listed.yibanan.state).toBe('delivered');
      expect(listed.yibanan.packages[0].packageId).toBe(packageId);

      // 资料补充 after the delivery: a follow-up package with only the new document.
      const addition = Buffer.concat([PDF_BYTES, Buffer.from('% 补充\n')]);
      const added = await f.t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/documents?fileName=${encodeURIComponent('补充材料.pdf')}`, headers: { cookie: f.handler, 'content-type': 'application/octet-stream' }, payload: addition });
      expect(added.statusCode, added.body).toBe(201);
      const supplementId = packageIdOf(f, sessionId, 2);
      const supplement = await waitForDeliveryState(f, supplementId, 'delivered');
      expect(supplement.kind).toBe('supplement');
      const receivedSupplement = await expectAcceptedOnce(supplementId, [createHash('sha256').update(addition).digest('hex')]);
      expect(receivedSupplement.manifest).toMatchObject({ kind: 'supplement', followsPackageId: packageId });
      expect((receivedSupplement.manifest as { files: { path: string }[] }).files.map((file) => file.path)).toEqual(['documents/1-补充材料.pdf']);
      expect(await sim.getPackage(packageIdOf(f, sessionId, 3))).toBeNull();
    } finally {
      rmSync(mediaDir, { recursive: true, force: true });
    }
  });

  it('sends nothing for a session ended without the 易办案 tick', async () => {
    const sessionId = await archive(f, { uploadToYibanan: false });
    const packageId = packageIdOf(f, sessionId);
    const delivery = await deliveryOf(f, packageId);
    expect(delivery?.state).toBe('skipped');
    expect(delivery?.stateLabel).toBe('不推送');
    const job = await f.t.app.services.jobs.findByKey(`delivery:${packageId}`);
    expect(job).toBeUndefined();

    const added = await f.t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/documents?fileName=${encodeURIComponent('补充.pdf')}`, headers: { cookie: f.handler, 'content-type': 'application/octet-stream' }, payload: PDF_BYTES });
    expect(added.statusCode).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await sim.getPackage(packageId)).toBeNull();
    expect(await deliveryOf(f, packageIdOf(f, sessionId, 2))).toBeUndefined();
    const sessions = (await f.t.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/sessions`, headers: { cookie: f.handler } })).json();
    expect(sessions.find((item: { id: number }) => item.id === sessionId).yibanan.stateLabel).toBe('不推送');
  });

  it('delivers every queued package once after 易办案 was down', async () => {
    await sim.setState({ down: true });
    const sessionIds: number[] = [];
    for (let index = 0; index < 3; index += 1) sessionIds.push(await archive(f, { videoSizes: [400_000] }));
    let waiting: DeliveryJson | undefined;
    for (const sessionId of sessionIds) {
      waiting = await waitFor(`first failed attempt of session ${sessionId}`, async () => {
        const delivery = await deliveryOf(f, packageIdOf(f, sessionId));
        return delivery?.state === 'retrying' && delivery.lastError?.includes('无法连接易办案系统') ? delivery : undefined;
      }, 20_000, 100);
    }
    expect(waiting?.stateLabel).toBe('等待重试');
    expect(waiting?.lastError).toMatch(/^第 \d 次推送失败：无法连接易办案系统（连接被拒绝），请检查网络或联系易办案管理员。系统将于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 进行第 \d 次推送（共 8 次）。$/);
    expect(waiting?.lastError).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    const before = (await sim.packages()).length;
    await sim.setState({ down: false });

    for (const sessionId of sessionIds) {
      await waitForDeliveryState(f, packageIdOf(f, sessionId), 'delivered', 60_000);
      await expectAcceptedOnce(packageIdOf(f, sessionId), [...(await mediaHashes(f, sessionId)).values()]);
    }
    expect((await sim.packages()).length).toBe(before + sessionIds.length);
  });

  it('resumes a dropped upload from the receiver offset', async () => {
    const size = 3 * CHUNK_BYTES + 1000;
    await sim.setState({ dropAfterBytes: 100_000, dropEvery: false });
    const sessionId = await archive(f, { videoSizes: [size] });
    const packageId = packageIdOf(f, sessionId);
    const delivery = await waitForDeliveryState(f, packageId, 'delivered');
    expect(delivery.attempts).toBeGreaterThanOrEqual(2);

    const received = await expectAcceptedOnce(packageId, [...(await mediaHashes(f, sessionId)).values()]);
    // The 100,000 bytes before the drop were kept and not sent again.
    expect(received.bytesReceivedTotal).toBe(size);
  });

  it('retries 5xx answers until the package is accepted', async () => {
    // Every third PATCH fails: the first attempt sends two chunks, the second resumes with the third.
    await sim.setState({ errorStatus: 503, errorEvery: 3, errorRoute: 'patch' });
    try {
      const sessionId = await archive(f, { videoSizes: [2 * CHUNK_BYTES + 5] });
      const packageId = packageIdOf(f, sessionId);
      const delivery = await waitForDeliveryState(f, packageId, 'delivered', 60_000);
      expect(delivery.attempts).toBeGreaterThanOrEqual(2);
      await expectAcceptedOnce(packageId, [...(await mediaHashes(f, sessionId)).values()]);
    } finally {
      await sim.reset();
    }
  });

  it('saves progress while a chunk streams', async () => {
    // A file smaller than one chunk goes in a single PATCH, which streams for about 3 s at this rate.
    const size = 200_000;
    expect(size).toBeLessThan(CHUNK_BYTES);
    await sim.setState({ slowBytesPerSecond: 70_000 });
    try {
      const sessionId = await archive(f, { videoSizes: [size] });
      const packageId = packageIdOf(f, sessionId);
      const partial = await waitFor(`${packageId} to report partial progress`, async () => {
        const delivery = await deliveryOf(f, packageId);
        return delivery?.state === 'sending' && delivery.bytesSent > 0 && delivery.bytesSent < delivery.bytesTotal ? delivery : undefined;
      }, 20_000, 100);
      expect(partial.bytesSent).toBeLessThan(partial.bytesTotal);
      const delivered = await waitForDeliveryState(f, packageId, 'delivered');
      expect(delivered.bytesSent).toBe(delivered.bytesTotal);
    } finally {
      await sim.reset();
    }
  });

  it('re-reads the offset after a 409', async () => {
    // The simulator reports a wrong `received` once, so the next PATCH carries an offset it rejects with 409.
    await sim.setState({ malformed: 'wrong-offset' });
    const sessionId = await archive(f, { videoSizes: [2 * CHUNK_BYTES] });
    const packageId = packageIdOf(f, sessionId);
    const delivery = await waitForDeliveryState(f, packageId, 'delivered');
    expect(delivery.attempts).toBe(1);
    const received = await expectAcceptedOnce(packageId, [...(await mediaHashes(f, sessionId)).values()]);
    expect(received.bytesReceivedTotal).toBe(2 * CHUNK_BYTES);
  });

  it('lists and filters packages for system admins', async () => {
    const all = await listDeliveries(f);
    expect(all.total).toBeGreaterThanOrEqual(6);
    const skipped = await listDeliveries(f, '&state=skipped');
    expect(skipped.items.every((item) => item.state === 'skipped')).toBe(true);
    expect(skipped.total).toBe(1);
    const byNumber = await listDeliveries(f, `&caseNumber=${encodeURIComponent('320583000101')}&sortBy=packageId&order=asc`);
    expect(byNumber.total).toBe(all.total);
    const none = await listDeliveries(f, `&caseName=${encodeURIComponent('不存在的案件')}`);
    expect(none.total).toBe(0);
    const bad = await f.t.app.inject({ method: 'GET', url: '/api/deliveries?state=lost', headers: { cookie: f.admin } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/推送状态/);
  });
});

describe('易办案 delivery of room sessions', () => {
  it('follows the 结束办案 tick of each session', async () => {
    const nvr = await startTestNvr();
    const f = await createFixture({ yibananMaxAttempts: 3, archiveDelaySeconds: 1 }, roomFor(nvr));
    try {
      const sessionIds: Record<'ticked' | 'unticked', number> = { ticked: 0, unticked: 0 };
      for (const choice of ['ticked', 'unticked'] as const) {
        const officer = await f.t.login('zhangming');
        const started = await f.t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId: f.caseId, suspectId: f.suspectId } });
        expect(started.statusCode, started.body).toBe(201);
        sessionIds[choice] = started.json().id;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const ended = await f.t.app.inject({ method: 'POST', url: `/api/sessions/${sessionIds[choice]}/end`, headers: { cookie: officer }, payload: { uploadToYibanan: choice === 'ticked' } });
        expect(ended.statusCode, ended.body).toBe(200);
      }

      const ticked = packageIdOf(f, sessionIds.ticked);
      await waitForDeliveryState(f, ticked, 'delivered', 90_000);
      await expectAcceptedOnce(ticked, [...(await mediaHashes(f, sessionIds.ticked)).values()]);
      const received = await sim.getPackage(ticked);
      expect(received?.manifest).toMatchObject({ room: { name: '刑检-101讯问室' } });

      const unticked = await waitForDeliveryState(f, packageIdOf(f, sessionIds.unticked), 'skipped', 90_000);
      expect(unticked.bytesSent).toBe(0);
      expect(await sim.getPackage(packageIdOf(f, sessionIds.unticked))).toBeNull();
    } finally {
      await f.t.close();
      await nvr.stop();
    }
  });
});

describe('易办案 delivery failures', () => {
  let f: Fixture;

  beforeAll(async () => {
    await sim.reset();
    f = await createFixture({ yibananMaxAttempts: 2 });
  });

  afterAll(async () => {
    await sim.reset();
    await f?.t.close();
  });

  it('fails on a wrong receipt hash with a Chinese reason', async () => {
    await sim.setState({ malformed: 'wrong-receipt-hash' });
    const sessionId = await archive(f);
    const packageId = packageIdOf(f, sessionId);
    const failed = await waitForDeliveryState(f, packageId, 'failed');
    expect(failed.lastError).toMatch(/SHA-256 与本地不符/);
    const localHashes = [...(await mediaHashes(f, sessionId)).values()];
    expect(localHashes.some((hash) => failed.lastError?.includes(`本地 SHA-256：${hash}`))).toBe(true);
    expect(failed.lastError).toMatch(/回执 SHA-256：[0-9a-f]{64}；/);
    expect(failed.lastError).toMatch(/重试/);
    expect(failed.attempts).toBe(1);

    await sim.setState({ malformed: null });
    const retried = await f.t.app.inject({ method: 'POST', url: `/api/deliveries/${failed.id}/retry`, headers: { cookie: f.admin } });
    expect(retried.statusCode, retried.body).toBe(200);
    await waitForDeliveryState(f, packageId, 'delivered');
    await expectAcceptedOnce(packageId, [...(await mediaHashes(f, sessionId)).values()]);
  });

  it('shows the failed state after the last attempt and 重试 delivers', async () => {
    await sim.setState({ errorStatus: 500, errorRoute: 'put' });
    const sessionId = await archive(f);
    const packageId = packageIdOf(f, sessionId);
    const failed = await waitForDeliveryState(f, packageId, 'failed');
    expect(failed.attempts).toBe(2);
    expect(failed.lastError).toMatch(/HTTP 500/);
    expect(failed.lastError).toMatch(/自动重试已用完/);
    expect(failed.lastError).not.toMatch(/。）|。 /);
    expect(failed.canRetry).toBe(true);
    expect(await sim.getPackage(packageId)).toBeNull();

    // An officer who cannot see the case gets "not found", as for every other route of the case.
    const other = await f.t.login('lihua');
    const foreign = await f.t.app.inject({ method: 'POST', url: `/api/deliveries/${failed.id}/retry`, headers: { cookie: other } });
    expect(foreign.statusCode).toBe(404);

    // A grantee can view the case and its packages, but only the handler or an admin may retry.
    const lihua = await f.t.app.services.db.kysely.selectFrom('users').select('id').where('username', '=', 'lihua').executeTakeFirstOrThrow();
    await f.t.app.services.db.kysely.insertInto('case_grants').values({ case_id: f.caseId, grantee_id: lihua.id, granted_by: f.handlerId, granted_at: new Date().toISOString(), revoked_at: null, revoked_by: null }).execute();
    const granted = await f.t.app.inject({ method: 'POST', url: `/api/deliveries/${failed.id}/retry`, headers: { cookie: other } });
    expect(granted.statusCode).toBe(403);
    expect(granted.json().message).toBe('只有案件承办人或系统管理员可以重试推送。');

    // 详细资料 offers 重试 to the handler only, matching the API.
    expect((await sessionPackage(f, f.handler, sessionId, failed.id)).canRetry).toBe(true);
    expect((await sessionPackage(f, other, sessionId, failed.id)).canRetry).toBe(false);

    await sim.setState({ errorStatus: null, errorRoute: null });
    const retried = await f.t.app.inject({ method: 'POST', url: `/api/deliveries/${failed.id}/retry`, headers: { cookie: f.handler } });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(['queued', 'sending', 'delivered']).toContain(retried.json().state);
    const again = await f.t.app.inject({ method: 'POST', url: `/api/deliveries/${failed.id}/retry`, headers: { cookie: f.handler } });
    expect([200, 409]).toContain(again.statusCode);
    await waitForDeliveryState(f, packageId, 'delivered');
    await expectAcceptedOnce(packageId, [...(await mediaHashes(f, sessionId)).values()]);

    const audit = await f.t.app.services.db.kysely.selectFrom('audit_events').select('action').where('target_type', '=', 'delivery').where('target_id', '=', String(failed.id)).orderBy('id').execute();
    expect(audit.map((row) => row.action)).toEqual(['delivery.failed', 'delivery.retry', 'delivery.delivered']);
  });

  it('fails when the receiver keeps rejecting a file hash', async () => {
    const sessionId = await archive(f, { videoSizes: [1000] });
    // The stored bytes change after the package was frozen, so the receiver's SHA-256 check discards the file.
    const stored = await f.t.app.services.db.kysely.selectFrom('media_files').select('stored_path').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
    writeFileSync(path.join(f.t.config.dataDir, stored.stored_path), Buffer.alloc(1000, 7));
    const failed = await waitForDeliveryState(f, packageIdOf(f, sessionId), 'failed');
    expect(failed.lastError).toMatch(/多次校验文件“video\/1-测试录像-1\.mp4”失败/);
    expect(failed.attempts).toBe(2);
    expect((await sim.getPackage(packageIdOf(f, sessionId)))?.state).toBe('receiving');
  });

  it('rejects 重试 of a package that has not failed', async () => {
    const sessionId = await archive(f);
    const delivered = await waitForDeliveryState(f, packageIdOf(f, sessionId), 'delivered');
    const response = await f.t.app.inject({ method: 'POST', url: `/api/deliveries/${delivered.id}/retry`, headers: { cookie: f.admin } });
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toBe('只有推送失败的记录才能重试。');
  });
});

describe('易办案 folder-drop mode', () => {
  let f: Fixture;
  let outbox: string;

  beforeAll(async () => {
    outbox = mkdtempSync(path.join(tmpdir(), 'tonglu-outbox-'));
    f = await createFixture({ yibananMode: 'folder', yibananUrl: '', yibananOutbox: outbox, yibananMaxAttempts: 3 });
  });

  afterAll(async () => {
    await f?.t.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('drops the package atomically with a .done marker and cleans leftovers', async () => {
    // Leftovers of a run that died: the next session id's partial folder and a renamed folder without its marker.
    const last = await f.t.app.services.db.kysely.selectFrom('recording_sessions').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow();
    const nextPackageId = packageIdOf(f, Number(last.id) + 1);
    mkdirSync(path.join(outbox, `.${nextPackageId}.partial`, 'video'), { recursive: true });
    writeFileSync(path.join(outbox, `.${nextPackageId}.partial`, 'video', 'junk.bin'), 'half');
    mkdirSync(path.join(outbox, nextPackageId));
    writeFileSync(path.join(outbox, nextPackageId, 'stale.bin'), 'stale');

    const sessionId = await archive(f, { videoSizes: [700_000, 1000] });
    const packageId = packageIdOf(f, sessionId);
    expect(packageId).toBe(nextPackageId);
    const delivery = await waitForDeliveryState(f, packageId, 'delivered');
    expect(delivery.bytesSent).toBe(701_000);

    const row = await f.t.app.services.db.kysely.selectFrom('deliveries').select(['manifest', 'manifest_sha256']).where('package_id', '=', packageId).executeTakeFirstOrThrow();
    expect(readdirSync(outbox).sort()).toEqual([packageId, `${packageId}.done`].sort());
    expect(readFileSync(path.join(outbox, `${packageId}.done`), 'utf8').trim()).toBe(row.manifest_sha256);
    const manifestBytes = readFileSync(path.join(outbox, packageId, 'manifest.json'));
    expect(createHash('sha256').update(manifestBytes).digest('hex')).toBe(row.manifest_sha256);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { files: { path: string; sha256: string }[] };
    for (const file of manifest.files) {
      expect(createHash('sha256').update(readFileSync(path.join(outbox, packageId, file.path))).digest('hex')).toBe(file.sha256);
    }
    expect(existsSync(path.join(outbox, packageId, 'stale.bin'))).toBe(false);

    // Running the job again finds the marker for the same manifest and writes nothing.
    await f.t.app.services.db.kysely.updateTable('deliveries').set({ state: 'queued' }).where('package_id', '=', packageId).execute();
    await f.t.app.services.jobs.requeue(`delivery:${packageId}`, new Date().toISOString());
    f.t.app.services.worker.wake();
    await waitForDeliveryState(f, packageId, 'delivered');
    expect(readdirSync(outbox).sort()).toEqual([packageId, `${packageId}.done`].sort());
  });
});
