import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../helpers/polling.js';
import { ApiClient, freePort, killServerProcess, startServerProcess } from '../helpers/server-process.js';
import { startTestYibanan, type YibananSimulator } from '../helpers/yibanan-simulator.js';

// The real server process is SIGKILLed at random moments while it uploads packages to the 易办案 simulator.
// SQLite only, because the test reads the database file directly.
const serverDir = path.resolve(import.meta.dirname, '../..');
const tsx = path.resolve(serverDir, '../node_modules/.bin/tsx');
const SESSIONS = 4;
const KILLS = 20;

let sim: YibananSimulator;
let dataDir: string;
let clipPath: string;
let port: number;
let server: ChildProcess | undefined;
let client: ApiClient;

async function startServer(): Promise<void> {
  server = await startServerProcess(serverEnv(), port);
}

async function killServer(): Promise<void> {
  const running = server;
  server = undefined;
  await killServerProcess(running);
}

function serverEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TONGLU_DATA_DIR: dataDir,
    TONGLU_PORT: String(port),
    TONGLU_HOST: '127.0.0.1',
    TONGLU_ARCHIVE_RETRY_BASE_SECONDS: '1',
    TONGLU_JOB_LEASE_SECONDS: '2',
    TONGLU_LOG_LEVEL: 'warn',
    TONGLU_WEB_DIR: path.join(dataDir, 'no-web'),
    TONGLU_YIBANAN_URL: sim.baseUrl,
    TONGLU_YIBANAN_TOKEN: sim.token,
    // Small chunks and a slow receiver make each upload last several seconds, so the kills land inside it.
    TONGLU_YIBANAN_CHUNK_MB: '0.25',
    TONGLU_YIBANAN_RETRY_BASE_SECONDS: '1',
    TONGLU_YIBANAN_MAX_ATTEMPTS: '100',
  };
}

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, 'tonglu.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Starts an off-site session, uploads the clip over tus and ends it, which queues its archive job. */
async function recordOffsiteSession(cookie: string, caseId: number, suspectId: number, bytes: Buffer): Promise<number> {
  const started = await client.call('POST', '/api/offsite-sessions', cookie, {
    caseId,
    suspectId,
    startedAt: new Date(Date.now() - 7200_000).toISOString(),
    endedAt: new Date(Date.now() - 3600_000).toISOString(),
  });
  expect(started.status, await started.clone().text()).toBe(201);
  const sessionId = ((await started.json()) as { id: number }).id;
  const metadata = `sessionId ${Buffer.from(String(sessionId)).toString('base64')},filename ${Buffer.from('clip.mp4').toString('base64')}`;
  const created = await client.call('POST', '/api/uploads', cookie, undefined, { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length), 'Upload-Metadata': metadata });
  expect(created.status).toBe(201);
  const patched = await client.call('PATCH', created.headers.get('location') as string, cookie, new Uint8Array(bytes), {
    'Tus-Resumable': '1.0.0',
    'Upload-Offset': '0',
    'Content-Type': 'application/offset+octet-stream',
  });
  expect(patched.status).toBe(204);
  expect((await client.call('POST', `/api/offsite-sessions/${sessionId}/end`, cookie)).status).toBe(200);
  return sessionId;
}

beforeAll(async () => {
  sim = await startTestYibanan();
  dataDir = mkdtempSync(path.join(tmpdir(), 'tonglu-delivery-restart-'));
  clipPath = path.join(dataDir, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '12', '-movflags', '+faststart', clipPath]);
  port = await freePort();
  client = new ApiClient(port);
  // The demo room's NVR is never used here; the discard port replaces it.
  const seeded = spawnSync(tsx, ['src/cli/seed-demo.ts', '--nvr-http-port', '9', '--nvr-rtsp-port', '9', '--nvr-password', 'unused'], { cwd: serverDir, env: serverEnv(), encoding: 'utf8' });
  expect(seeded.status, seeded.stderr).toBe(0);
  await startServer();
});

afterAll(async () => {
  await killServer();
  await sim?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('server killed during 易办案 uploads', () => {
  it('delivers every package exactly once after restarts', async () => {
    const cookie = await client.login('zhangming', 'Tonglu@2026');
    const cases = (await (await client.call('GET', '/api/cases', cookie)).json()) as { items: { id: number; name: string }[] };
    const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
    const detail = (await (await client.call('GET', `/api/cases/${caseId}`, cookie)).json()) as { suspects: { id: number }[] };
    const suspectId = detail.suspects[0]?.id as number;
    const clip = readFileSync(clipPath);

    // The slow receiver keeps each upload of about 3.5 MB running for several seconds.
    await sim.setState({ slowBytesPerSecond: 400_000 });
    const sessionIds: number[] = [];
    for (let index = 0; index < SESSIONS; index += 1) sessionIds.push(await recordOffsiteSession(cookie, caseId, suspectId, clip));

    let killsDuringUpload = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const sending = await waitFor('a package to be sending', async () => {
        const rows = query<{ state: string }>('select state from deliveries');
        if (rows.length === SESSIONS && rows.every((row) => row.state === 'delivered')) return 'all-delivered';
        return rows.some((row) => row.state === 'sending') ? 'sending' : undefined;
      }, 30_000, 20);
      await sleep(100 + Math.floor(Math.random() * 1200));
      if (sending === 'sending') killsDuringUpload += 1;
      await killServer();
      await startServer();
    }
    // Most kills must land while bytes flow; otherwise the test proves nothing about resuming.
    expect(killsDuringUpload).toBeGreaterThanOrEqual(KILLS / 2);

    await sim.setState({ slowBytesPerSecond: null });
    await waitFor('every package delivered', async () => {
      const rows = query<{ state: string }>('select state from deliveries');
      return rows.length === SESSIONS && rows.every((row) => row.state === 'delivered');
    }, 120_000);

    const received = await sim.packages();
    expect(received.map((item) => item.packageId).sort()).toEqual(sessionIds.map((id) => `TL-320583-${id}-1`).sort());
    for (const sessionId of sessionIds) {
      const packageId = `TL-320583-${sessionId}-1`;
      const item = received.find((candidate) => candidate.packageId === packageId);
      expect(item?.state, packageId).toBe('accepted');
      expect(item?.acceptCount, packageId).toBe(1);
      const ours = query<{ sha256: string; size: number }>("select sha256, size from media_files where session_id = ? and kind = 'video'", sessionId);
      expect(item?.files.map((file) => file.verifiedSha256), packageId).toEqual(ours.map((file) => file.sha256));
      // Bytes cut off by a kill may be sent again, but never whole files twice.
      const size = ours.reduce((sum, file) => sum + file.size, 0);
      expect(item?.bytesReceivedTotal, packageId).toBeGreaterThanOrEqual(size);
      expect(item?.bytesReceivedTotal, packageId).toBeLessThan(size * 1.5);
    }

    const deliveries = query<{ package_id: string; receipt_id: string | null }>('select package_id, receipt_id from deliveries order by id');
    expect(deliveries).toHaveLength(SESSIONS);
    for (const delivery of deliveries) {
      expect(delivery.receipt_id).toBe(received.find((item) => item.packageId === delivery.package_id)?.receiptId);
    }
    const jobs = query<{ state: string; n: number }>("select state, count(*) as n from jobs where type = 'delivery' group by state");
    expect(jobs).toEqual([{ state: 'done', n: SESSIONS }]);
  });
});
