import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../helpers/polling.js';
import { freePort, serverDir, ServerProcess } from '../helpers/server-process.js';
import { startTestUnified, type UnifiedSimulator } from '../helpers/unified-simulator.js';

// The real server process is killed with SIGKILL at random points of a 大统一2.0 pull and restarted each time.
// SQLite only, because the test reads the database file directly.
const tsx = path.resolve(serverDir, '../node_modules/.bin/tsx');

const CASES = 1000;
const SUSPECTS_PER_CASE = 3;
const KILLS = 20;
const LEASE_SECONDS = 1;

let sim: UnifiedSimulator;
let dataDir: string;
let port: number;
let server: ServerProcess;

function serverEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TONGLU_DATA_DIR: dataDir,
    TONGLU_PORT: String(port),
    TONGLU_HOST: '127.0.0.1',
    TONGLU_JOB_LEASE_SECONDS: String(LEASE_SECONDS),
    TONGLU_LOG_LEVEL: 'warn',
    TONGLU_WEB_DIR: path.join(dataDir, 'no-web'),
    TONGLU_UNIFIED_URL: sim.baseUrl,
    TONGLU_UNIFIED_TOKEN: sim.token,
    TONGLU_UNIFIED_DWBM: sim.dwbm,
    TONGLU_UNIFIED_SYNC_INTERVAL_MINUTES: '0',
    TONGLU_UNIFIED_PAGE_SIZE: '50',
  };
}

function query<T>(statement: string): T[] {
  const db = new Database(path.join(dataDir, 'tonglu.sqlite'), { readonly: true });
  try {
    return db.prepare(statement).all() as T[];
  } finally {
    db.close();
  }
}

/** Deterministic delays (a linear congruential generator), so a failure can be replayed. */
function delaysMs(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 150 + (state % 1200);
  });
}

beforeAll(async () => {
  // Every response waits 25 ms, so the pull spans the kills instead of finishing between two of them.
  sim = await startTestUnified({ seedCases: CASES, suspectsPerCase: SUSPECTS_PER_CASE, seed: 31 });
  await sim.setState({ slowMs: 25 });
  dataDir = mkdtempSync(path.join(tmpdir(), 'tonglu-sync-restart-'));
  port = await freePort();
  const seeded = spawnSync(tsx, ['src/cli/seed-demo.ts', '--nvr-http-port', '9', '--nvr-rtsp-port', '9', '--nvr-password', 'unused'], {
    cwd: serverDir,
    env: serverEnv(),
    encoding: 'utf8',
  });
  expect(seeded.status, seeded.stderr).toBe(0);
  server = new ServerProcess(port, serverEnv);
  await server.start();
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await sim?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('server killed during a unified sync', () => {
  it('ends with exact counts after 20 kills', async () => {
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'Admin@2026' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const started = await fetch(`http://127.0.0.1:${port}/api/unified/sync`, { method: 'POST', headers: { cookie, 'x-tonglu-csrf': csrfToken } });
    expect(started.status).toBe(202);

    const progress: number[] = [];
    for (const [index, delay] of delaysMs(KILLS, 20261205).entries()) {
      // After a restart the job resumes once its lease has expired.
      await sleep(delay + (index === 0 ? 0 : LEASE_SECONDS * 1000));
      await server.kill();
      progress.push(query<{ fetched: number }>('select coalesce(sum(fetched), 0) as fetched from unified_sync_runs')[0]!.fetched);
      await server.start();
    }

    await waitFor(
      'the pull to finish',
      async () => query<{ state: string }>('select state from unified_sync_runs order by id desc limit 1')[0]?.state === 'succeeded',
      180_000,
      250,
    );

    // The kills landed while the pull was in progress, not all before it started or after it ended.
    expect(progress.filter((fetched) => fetched > 0 && fetched < CASES).length, `cases fetched at each kill: ${progress.join(', ')}`).toBeGreaterThanOrEqual(KILLS / 2);

    const runs = query<{ state: string; fetched: number; created: number; rejected: number }>('select state, fetched, created, rejected from unified_sync_runs');
    expect(runs.map((run) => run.state)).toEqual(runs.map(() => 'succeeded'));
    expect(runs.reduce((sum, run) => sum + run.fetched, 0)).toBe(CASES);
    expect(runs.reduce((sum, run) => sum + run.rejected, 0)).toBe(0);

    const [cases] = query<{ n: number; distinct_numbers: number }>(
      'select count(*) as n, count(distinct case_number) as distinct_numbers from cases where unified_updated_at is not null',
    );
    expect(cases).toEqual({ n: CASES, distinct_numbers: CASES });
    const [suspects] = query<{ n: number; distinct_keys: number }>(
      "select count(*) as n, count(distinct case_id || ':' || external_id) as distinct_keys from suspects where source = 'unified' and external_id is not null",
    );
    expect(suspects).toEqual({ n: CASES * SUSPECTS_PER_CASE, distinct_keys: CASES * SUSPECTS_PER_CASE });

    const [pending] = query<{ n: number }>('select count(*) as n from cases where dossier_pending = 1');
    expect(pending?.n).toBe(0);
    const [duplicateJobs] = query<{ n: number }>("select count(*) - count(distinct dedupe_key) as n from jobs where type = 'dossier-fetch'");
    expect(duplicateJobs?.n).toBe(0);
  }, 300_000);
});
