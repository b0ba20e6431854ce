import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startNvrSimulator } from '../../simulators/nvr/src/launch.js';
import { startYibananSimulator } from '../../simulators/yibanan/src/launch.js';
import { startUnifiedSimulator } from '../../simulators/unified/src/launch.js';

const root = path.resolve(import.meta.dirname, '../..');
const NVR_PASSWORD = 'e2e#Pass:1';
const YIBANAN_TOKEN = 'e2e-yibanan-token';

export interface Stack {
  baseUrl: string;
  dataDir: string;
  nvr: Awaited<ReturnType<typeof startNvrSimulator>>;
  /** The 易办案 receiver simulator that the server delivers packages to. */
  yibanan: Awaited<ReturnType<typeof startYibananSimulator>>;
  /** The 大统一2.0 simulator, when the stack was started with `unifiedCases`. */
  unified: Awaited<ReturnType<typeof startUnifiedSimulator>> | null;
  browser: Browser;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts what the README's demo starts, on free ports and a temporary data folder: the NVR and 易办案 simulators,
 * the built server with its built web UI (npm test builds both first), the demo data, and headless Debian Chromium.
 * `serverEnv` adds or overrides server settings.
 */
export interface StackOptions {
  /** Starts the 大统一2.0 simulator with this many seeded cases and points the server at it (schedule off). */
  unifiedCases?: number;
  /** Adds or overrides server settings. */
  serverEnv?: Record<string, string>;
}

export async function startStack(archiveDelaySeconds = 3, options: StackOptions = {}): Promise<Stack> {
  const serverEnv = options.serverEnv ?? {};
  if (!existsSync(path.join(root, 'server/dist/server.js')) || !existsSync(path.join(root, 'web/dist/index.html'))) {
    throw new Error('build the server and the web UI first: npm run build');
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tonglu-e2e-'));
  const port = await freePort();
  const nvr = await startNvrSimulator({ username: 'admin', password: NVR_PASSWORD });
  const yibanan = await startYibananSimulator({ token: YIBANAN_TOKEN });
  const unified = options.unifiedCases === undefined ? null : await startUnifiedSimulator({ token: 'e2e-unified-token', seedCases: options.unifiedCases, suspectsPerCase: 2 });
  const unifiedEnv = unified
    ? { TONGLU_UNIFIED_URL: unified.baseUrl, TONGLU_UNIFIED_TOKEN: unified.token, TONGLU_UNIFIED_DWBM: unified.dwbm, TONGLU_UNIFIED_SYNC_INTERVAL_MINUTES: '0' }
    : {};
  const env = {
    ...process.env,
    ...unifiedEnv,
    TONGLU_DATA_DIR: dataDir,
    TONGLU_PORT: String(port),
    TONGLU_HOST: '127.0.0.1',
    TONGLU_ARCHIVE_DELAY_SECONDS: String(archiveDelaySeconds),
    TONGLU_LOG_LEVEL: 'warn',
    TONGLU_YIBANAN_URL: yibanan.baseUrl,
    TONGLU_YIBANAN_TOKEN: YIBANAN_TOKEN,
    TONGLU_YIBANAN_RETRY_BASE_SECONDS: '1',
    ...serverEnv,
  };
  const seeded = spawnSync('node', [path.join(root, 'server/dist/cli/seed-demo.js'), '--nvr-http-port', String(nvr.httpPort), '--nvr-rtsp-port', String(nvr.rtspPort), '--nvr-password', NVR_PASSWORD], { env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seed failed: ${seeded.stderr}`);

  const server: ChildProcess = spawn('node', [path.join(root, 'server/dist/server.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const isUp = await fetch(`${baseUrl}/api/auth/me`).then((response) => response.status === 401, () => false);
    if (isUp) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });

  return {
    baseUrl,
    dataDir,
    nvr,
    yibanan,
    unified,
    browser,
    stop: async () => {
      await browser.close();
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      await nvr.stop();
      await yibanan.stop();
      await unified?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
