import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVR_PASSWORD, NVR_USER, startTestNvr, type NvrSimulator } from '../helpers/nvr-simulator.js';
import { sleep, waitFor } from '../helpers/polling.js';
import { freePort, serverDir, ServerProcess } from '../helpers/server-process.js';

// The real server process is killed with SIGKILL while archive jobs run. SQLite only, because the test reads the database file directly.
const tsx = path.resolve(serverDir, '../node_modules/.bin/tsx');

let nvr: NvrSimulator;
let dataDir: string;
let port: number;
let server: ServerProcess;

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

// CSRF token of each login cookie, sent back in X-Tonglu-CSRF as the web UI does.
const csrfTokens = new Map<string, string>();

async function api(method: string, url: string, cookie: string, body?: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { cookie, 'x-tonglu-csrf': csrfTokens.get(cookie) ?? '', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

async function login(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'zhangming', password: 'Tonglu@2026' }),
  });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  csrfTokens.set(cookie, ((await response.json()) as { csrfToken: string }).csrfToken);
  return cookie;
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
  const seeded = spawnSync(
    tsx,
    ['src/cli/seed-demo.ts', '--nvr-http-port', String(nvr.httpPort), '--nvr-rtsp-port', String(nvr.rtspPort), '--nvr-user', NVR_USER, '--nvr-password', NVR_PASSWORD],
    { cwd: serverDir, env: serverEnv(), encoding: 'utf8' },
  );
  expect(seeded.status, seeded.stderr).toBe(0);
  server = new ServerProcess(port, serverEnv);
  await server.start();
});

afterAll(async () => {
  await server?.kill();
  await nvr?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('server killed during archive jobs', () => {
  it('completes every job exactly once after restarts', async () => {
    let cookie = await login();
    const cases = (await (await api('GET', '/api/cases', cookie)).json()) as { items: { id: number; name: string }[] };
    const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
    const detail = (await (await api('GET', `/api/cases/${caseId}`, cookie)).json()) as { suspects: { id: number }[] };
    const suspectId = detail.suspects[0]?.id as number;
    // A slow NVR makes each download last a few seconds, so the kills land inside fetch, remux and hashing.
    await nvr.setState({ slowBytesPerSec: 96 * 1024 });

    const killDelays = [300, 1500, 3000];
    const sessionIds: number[] = [];
    for (const delay of killDelays) {
      cookie = await login();
      const started = await api('POST', '/api/sessions', cookie, { caseId, suspectId });
      expect(started.status, await started.clone().text()).toBe(201);
      const session = (await started.json()) as { id: number };
      sessionIds.push(session.id);
      await sleep(5_000);
      expect((await api('POST', `/api/sessions/${session.id}/end`, cookie, { uploadToYibanan: true })).status).toBe(200);

      await waitFor(`session ${session.id} fetching`, async () => sessionState(session.id) === 'fetching', 30_000, 50);
      await sleep(delay);
      await server.kill();
      await server.start();
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
