import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVR_PASSWORD, NVR_USER, startTestNvr, type NvrSimulator } from '../helpers/nvr-simulator.js';
import { sleep, waitFor } from '../helpers/polling.js';
import { ApiClient, freePort, killServerProcess, startServerProcess } from '../helpers/server-process.js';

// The real server process is killed with SIGKILL while archive jobs run. SQLite only, because the test reads the database file directly.
const serverDir = path.resolve(import.meta.dirname, '../..');
const tsx = path.resolve(serverDir, '../node_modules/.bin/tsx');

let nvr: NvrSimulator;
let dataDir: string;
let port: number;
let server: ChildProcess | undefined;
let client: ApiClient;

function serverEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TONGLU_DATA_DIR: dataDir,
    TONGLU_PORT: String(port),
    TONGLU_HOST: '127.0.0.1',
    TONGLU_ARCHIVE_DELAY_SECONDS: '0',
    TONGLU_ARCHIVE_RETRY_BASE_SECONDS: '1',
    TONGLU_JOB_LEASE_SECONDS: '3',
    TONGLU_LOG_LEVEL: 'warn',
    TONGLU_WEB_DIR: path.join(dataDir, 'no-web'),
  };
}

async function startServer(): Promise<void> {
  server = await startServerProcess(serverEnv(), port);
}

async function killServer(): Promise<void> {
  const running = server;
  server = undefined;
  await killServerProcess(running);
}

function sessionState(sessionId: number): string {
  const db = new Database(path.join(dataDir, 'tonglu.sqlite'), { readonly: true });
  try {
    return (db.prepare('select state from recording_sessions where id = ?').get(sessionId) as { state: string }).state;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  nvr = await startTestNvr();
  dataDir = mkdtempSync(path.join(tmpdir(), 'tonglu-restart-'));
  port = await freePort();
  client = new ApiClient(port);
  const seeded = spawnSync(
    tsx,
    ['src/cli/seed-demo.ts', '--nvr-http-port', String(nvr.httpPort), '--nvr-rtsp-port', String(nvr.rtspPort), '--nvr-user', NVR_USER, '--nvr-password', NVR_PASSWORD],
    { cwd: serverDir, env: serverEnv(), encoding: 'utf8' },
  );
  expect(seeded.status, seeded.stderr).toBe(0);
  await startServer();
});

afterAll(async () => {
  await killServer();
  await nvr?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('server killed during archive jobs', () => {
  it('completes every job exactly once after restarts', async () => {
    let cookie = await client.login('zhangming', 'Tonglu@2026');
    const cases = (await (await client.call('GET', '/api/cases', cookie)).json()) as { items: { id: number; name: string }[] };
    const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
    const detail = (await (await client.call('GET', `/api/cases/${caseId}`, cookie)).json()) as { suspects: { id: number }[] };
    const suspectId = detail.suspects[0]?.id as number;
    // A slow NVR makes each download last a few seconds, so the kills land inside fetch, remux and hashing.
    await nvr.setState({ slowBytesPerSec: 96 * 1024 });

    const killDelays = [300, 1500, 3000];
    const sessionIds: number[] = [];
    for (const delay of killDelays) {
      cookie = await client.login('zhangming', 'Tonglu@2026');
      const started = await client.call('POST', '/api/sessions', cookie, { caseId, suspectId });
      expect(started.status, await started.clone().text()).toBe(201);
      const session = (await started.json()) as { id: number };
      sessionIds.push(session.id);
      await sleep(5_000);
      expect((await client.call('POST', `/api/sessions/${session.id}/end`, cookie, { uploadToYibanan: true })).status).toBe(200);

      await waitFor(`session ${session.id} fetching`, async () => sessionState(session.id) === 'fetching', 30_000, 50);
      await sleep(delay);
      await killServer();
      await startServer();
    }

    for (const sessionId of sessionIds) {
      await waitFor(`session ${sessionId} archived`, async () => sessionState(sessionId) === 'archived', 120_000);
    }

    const db = new Database(path.join(dataDir, 'tonglu.sqlite'), { readonly: true });
    try {
      for (const sessionId of sessionIds) {
        const files = db.prepare('select kind, stored_path from media_files where session_id = ? order by kind').all(sessionId) as { kind: string; stored_path: string }[];
        expect(files.map((file) => file.kind)).toEqual(['manifest', 'video']);
        const folder = path.join(dataDir, 'archive', String(caseId), String(sessionId));
        expect(readdirSync(folder).sort()).toEqual(['manifest.json', 'manifest.json.sha256', 'video.mp4']);
      }
      const jobs = db.prepare("select state, count(*) as n from jobs where type = 'archive' group by state").all() as { state: string; n: number }[];
      expect(jobs).toEqual([{ state: 'done', n: killDelays.length }]);
    } finally {
      db.close();
    }
    const workDir = path.join(dataDir, 'work');
    expect(existsSync(workDir) ? readdirSync(workDir) : []).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'archive', String(caseId))).sort()).toEqual(sessionIds.map(String).sort());
  });
});
