/**
 * Starts the 易办案 simulator as a separate process for tests and demos, and drives its control API.
 *
 *   const yibanan = await startYibananSimulator({ token: 'secret' });
 *   await yibanan.setState({ errorStatus: 503 });
 *   const packages = await yibanan.packages();
 *   await yibanan.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { SimState } from './sim-state.js';

export type { ApiRoute, MalformedKind, SimState } from './sim-state.js';

export interface YibananSimulatorOptions {
  /** Folder for packages. When omitted, a temporary folder that stop() deletes. */
  dataDir?: string;
  /** API port; 0 or omitted picks a free port. */
  port?: number;
  controlPort?: number;
  /** Bearer token the API requires (default `yibanan-test-token`). */
  token?: string;
  startupTimeoutMs?: number;
  /** Copy the simulator's JSON log lines to this process's stderr. */
  showLogs?: boolean;
}

/** A package as `GET /__sim/packages` returns it. */
export interface SimPackage {
  packageId: string;
  state: 'receiving' | 'accepted';
  receiptId: string | null;
  announcedAt: string;
  acceptedAt: string | null;
  manifestSha256: string;
  /** Transitions from receiving to accepted; more than 1 would break the contract. */
  acceptCount: number;
  commitCalls: number;
  /** Every PATCH body byte stored, counting bytes sent again. */
  bytesReceivedTotal: number;
  files: Array<{
    index: number;
    path: string;
    kind: string;
    size: number;
    /** SHA-256 from the manifest. */
    sha256: string;
    received: number;
    complete: boolean;
    /** SHA-256 of the stored bytes once complete and matching, else null. */
    verifiedSha256: string | null;
  }>;
  manifest: Record<string, unknown>;
}

export interface YibananSimulator {
  port: number;
  controlPort: number;
  /** `http://127.0.0.1:<port>`, the value for TONGLU_YIBANAN_URL. */
  baseUrl: string;
  /** `http://127.0.0.1:<controlPort>` */
  controlUrl: string;
  token: string;
  dataDir: string;
  pid: number;
  getState(): Promise<SimState>;
  setState(patch: Partial<SimState>): Promise<SimState>;
  reset(): Promise<SimState>;
  packages(): Promise<SimPackage[]>;
  /** One package, or null when the simulator does not have it. */
  getPackage(packageId: string): Promise<SimPackage | null>;
  /** The bytes stored so far for file `index` of a package. */
  fileContent(packageId: string, index: number): Promise<Buffer>;
  clearPackages(): Promise<number>;
  /** Stops the process with SIGTERM and deletes a temporary data folder. */
  stop(): Promise<void>;
  /** Kills the process with SIGKILL and keeps the data folder, to test a crash. */
  kill(): Promise<void>;
}

const MAIN_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');
const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startYibananSimulator(options: YibananSimulatorOptions = {}): Promise<YibananSimulator> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'tonglu-yibanan-sim-')));
  const token = options.token ?? 'yibanan-test-token';

  const args = [
    '--import',
    createRequire(import.meta.url).resolve('tsx'),
    MAIN_PATH,
    '--port',
    String(options.port ?? 0),
    '--control-port',
    String(options.controlPort ?? 0),
    '--token',
    token,
    '--data-dir',
    dataDir,
    '--exit-when-stdin-closes',
  ];
  // stdin stays open as a lifeline: when this process dies, the simulator reads EOF and stops.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });

  const logLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    logLines.push(line);
    if (logLines.length > 200) {
      logLines.shift();
    }
    if (options.showLogs) {
      process.stderr.write(`${line}\n`);
    }
  });

  let ports: { port: number; controlPort: number };
  try {
    ports = await waitForReady(child, options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
  } catch (error) {
    child.kill('SIGKILL');
    if (ownsDataDir) {
      await rm(dataDir, { recursive: true, force: true });
    }
    const detail = logLines.slice(-20).join('\n');
    throw new Error(`${(error as Error).message}\nSimulator log:\n${detail}`, { cause: error });
  }

  const controlUrl = `http://127.0.0.1:${ports.controlPort}`;
  const callControl = async <T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${controlUrl}/__sim/${route}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} /__sim/${route} failed with ${response.status}: ${text}`);
    }
    return JSON.parse(text) as T;
  };

  const endProcess = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await endProcess('SIGTERM');
      if (ownsDataDir) {
        await rm(dataDir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };

  return {
    ...ports,
    baseUrl: `http://127.0.0.1:${ports.port}`,
    controlUrl,
    token,
    dataDir,
    pid: child.pid!,
    getState: () => callControl<SimState>('GET', 'state'),
    setState: (patch) => callControl<SimState>('POST', 'state', patch),
    reset: () => callControl<SimState>('POST', 'reset'),
    packages: async () => (await callControl<{ packages: SimPackage[] }>('GET', 'packages')).packages,
    getPackage: async (packageId) => {
      const response = await fetch(`${controlUrl}/__sim/packages/${encodeURIComponent(packageId)}`);
      if (response.status === 404) {
        return null;
      }
      if (!response.ok) {
        throw new Error(`GET /__sim/packages/${packageId} failed with ${response.status}: ${await response.text()}`);
      }
      return (await response.json()) as SimPackage;
    },
    fileContent: async (packageId, index) => {
      const response = await fetch(`${controlUrl}/__sim/packages/${encodeURIComponent(packageId)}/files/${index}/content`);
      if (!response.ok) {
        throw new Error(`Reading file ${index} of ${packageId} failed with ${response.status}: ${await response.text()}`);
      }
      return Buffer.from(await response.arrayBuffer());
    },
    clearPackages: async () => (await callControl<{ deleted: number }>('DELETE', 'packages')).deleted,
    stop,
    kill: () => endProcess('SIGKILL'),
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<{ port: number; controlPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The 易办案 simulator was not ready within ${timeoutMs} ms.`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number; controlPort?: number };
        if (event.event === 'ready' && event.port && event.controlPort) {
          clearTimeout(timer);
          resolve({ port: event.port, controlPort: event.controlPort });
        }
      } catch {
        // Only the ready event is JSON on stdout, so other lines are skipped.
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The 易办案 simulator exited (${code ?? signal}) before it was ready.`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
