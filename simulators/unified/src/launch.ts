/**
 * Starts the 大统一2.0 simulator as a separate process for tests and demos, and drives its control API.
 *
 *   const unified = await startUnifiedSimulator({ token: 't0ken', seedCases: 20 });
 *   await unified.setState({ errorStatus: 503 });
 *   await unified.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { CaseRecord, Handler } from './model.js';
import type { SimState } from './sim-state.js';
import type { RouteStats } from './stats.js';

export type { CaseRecord, DossierFile, Handler, Suspect } from './model.js';
export type { MalformedKind, SimState } from './sim-state.js';

export interface UnifiedSimulatorOptions {
  /** Folder for the persisted data set. When omitted, a temporary folder that stop() deletes. */
  dataDir?: string;
  port?: number;
  controlPort?: number;
  token?: string;
  dwbm?: string;
  seedCases?: number;
  suspectsPerCase?: number;
  seed?: number;
  startupTimeoutMs?: number;
  /** Copy the simulator's JSON log lines to this process's stderr. */
  showLogs?: boolean;
}

export interface CaseChange {
  bmsah: string;
  fields: string[];
}

export interface UnifiedSimulator {
  port: number;
  controlPort: number;
  /** `http://127.0.0.1:<port>`, the value for TONGLU_UNIFIED_URL. */
  baseUrl: string;
  /** `http://127.0.0.1:<controlPort>` */
  controlUrl: string;
  token: string;
  dwbm: string;
  dataDir: string;
  pid: number;
  getState(): Promise<SimState>;
  setState(patch: Partial<SimState>): Promise<SimState>;
  reset(): Promise<SimState>;
  stats(): Promise<{ total: number; routes: Record<string, RouteStats> }>;
  cases(): Promise<CaseRecord[]>;
  generate(count: number, options?: { suspectsPerCase?: number; seed?: number }): Promise<string[]>;
  change(count: number, seed?: number): Promise<{ bmsah: string[]; changes: CaseChange[] }>;
  deleteCases(count: number, seed?: number): Promise<string[]>;
  upsert(cases: Array<Partial<CaseRecord> & { bmsah: string }>): Promise<string[]>;
  clear(): Promise<void>;
  setHandlers(handlers: Handler[]): Promise<Handler[]>;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and deletes a temporary data folder. */
  stop(): Promise<void>;
  /** Kills the process with SIGKILL at once and keeps the data folder, for restart tests. */
  kill(): Promise<void>;
}

const MAIN_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');
const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startUnifiedSimulator(options: UnifiedSimulatorOptions = {}): Promise<UnifiedSimulator> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'tonglu-unified-sim-')));
  const token = options.token ?? 'unified-sim-token';
  const dwbm = options.dwbm ?? '320583';

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
    '--dwbm',
    dwbm,
    '--data-dir',
    dataDir,
    '--seed-cases',
    String(options.seedCases ?? 0),
    '--suspects-per-case',
    String(options.suspectsPerCase ?? 1),
    '--seed',
    String(options.seed ?? 1),
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
    throw new Error(`${(error as Error).message}\nSimulator log:\n${logLines.slice(-20).join('\n')}`, { cause: error });
  }

  const controlUrl = `http://127.0.0.1:${ports.controlPort}`;
  const callControl = async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown): Promise<T> => {
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

  const exited = once(child, 'exit');
  let stopped: Promise<void> | null = null;
  const stopWith = (signal: NodeJS.Signals, removeDataDir: boolean): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      if (removeDataDir) {
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
    dwbm,
    dataDir,
    pid: child.pid!,
    getState: () => callControl<SimState>('GET', 'state'),
    setState: (patch) => callControl<SimState>('POST', 'state', patch),
    reset: () => callControl<SimState>('POST', 'reset'),
    stats: () => callControl('GET', 'stats'),
    cases: async () => (await callControl<{ items: CaseRecord[] }>('GET', 'cases')).items,
    generate: async (count, generateOptions = {}) =>
      (await callControl<{ bmsah: string[] }>('POST', 'cases/generate', { count, ...generateOptions })).bmsah,
    change: (count, seed) => callControl('POST', 'cases/change', { count, seed }),
    deleteCases: async (count, seed) => (await callControl<{ bmsah: string[] }>('POST', 'cases/delete', { count, seed })).bmsah,
    upsert: async (cases) => (await callControl<{ bmsah: string[] }>('PUT', 'cases', { cases })).bmsah,
    clear: async () => {
      await callControl('DELETE', 'cases');
    },
    setHandlers: async (handlers) => (await callControl<{ items: Handler[] }>('PUT', 'handlers', { handlers })).items,
    stop: () => stopWith('SIGTERM', ownsDataDir),
    kill: () => stopWith('SIGKILL', false),
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<{ port: number; controlPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The 大统一2.0 simulator was not ready within ${timeoutMs} ms.`)), timeoutMs);
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
      reject(new Error(`The 大统一2.0 simulator exited (${code ?? signal}) before it was ready.`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
