/**
 * Starts the NVR simulator as a separate process for tests and demos, and drives its control API.
 *
 *   const nvr = await startNvrSimulator({ password: 'p@ss#1' });
 *   await nvr.setState({ offline: true });
 *   await nvr.stop();
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

export type { SimState, TimeRange } from './sim-state.js';

export interface NvrSimulatorOptions {
  /** Folder for segments. When omitted, a temporary folder that stop() deletes. */
  dataDir?: string;
  httpPort?: number;
  rtspPort?: number;
  username?: string;
  password?: string;
  /** Device time zone such as "+08:00". */
  tz?: string;
  retentionMinutes?: number;
  segmentSeconds?: number;
  /** Extra command-line arguments for main.ts. */
  extraArgs?: string[];
  startupTimeoutMs?: number;
  /** Copy the simulator's JSON log lines to this process's stderr. */
  showLogs?: boolean;
}

export interface ImportedRecording {
  from: string;
  to: string;
  segments: number;
}

export interface NvrSimulator {
  httpPort: number;
  rtspPort: number;
  /** `http://127.0.0.1:<httpPort>` */
  baseUrl: string;
  dataDir: string;
  username: string;
  password: string;
  pid: number;
  getState(): Promise<SimState>;
  setState(patch: Partial<SimState>): Promise<SimState>;
  reset(): Promise<SimState>;
  /** Adds a video file as recording whose first frame is at `at` (real time). */
  importRecording(file: string, at: Date): Promise<ImportedRecording>;
  /** Recorded runs in real time with the gaps applied. */
  recordings(): Promise<Array<{ from: string; to: string }>>;
  stop(): Promise<void>;
}

const MAIN_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');
const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startNvrSimulator(options: NvrSimulatorOptions = {}): Promise<NvrSimulator> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'tonglu-nvr-sim-')));
  const username = options.username ?? 'admin';
  const password = options.password ?? 'admin123';

  const args = [
    '--import',
    createRequire(import.meta.url).resolve('tsx'),
    MAIN_PATH,
    '--http-port',
    String(options.httpPort ?? 0),
    '--rtsp-port',
    String(options.rtspPort ?? 0),
    '--data-dir',
    dataDir,
    '--user',
    username,
    '--password',
    password,
    '--tz',
    options.tz ?? '+08:00',
    '--exit-with-stdin',
    ...(options.retentionMinutes === undefined ? [] : ['--retention-minutes', String(options.retentionMinutes)]),
    ...(options.segmentSeconds === undefined ? [] : ['--segment-seconds', String(options.segmentSeconds)]),
    ...(options.extraArgs ?? []),
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

  let ports: { httpPort: number; rtspPort: number };
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

  const baseUrl = `http://127.0.0.1:${ports.httpPort}`;
  const callControl = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/__sim/${route}`, {
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

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDataDir) {
        await rm(dataDir, { recursive: true, force: true });
      }
    })();
    return stopped;
  };

  return {
    ...ports,
    baseUrl,
    dataDir,
    username,
    password,
    pid: child.pid!,
    getState: () => callControl<SimState>('GET', 'state'),
    setState: (patch) => callControl<SimState>('POST', 'state', patch),
    reset: () => callControl<SimState>('POST', 'reset'),
    importRecording: (file, at) => callControl<ImportedRecording>('POST', 'import', { file, at: at.toISOString() }),
    recordings: async () => (await callControl<{ runs: Array<{ from: string; to: string }> }>('GET', 'recordings')).runs,
    stop,
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<{ httpPort: number; rtspPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The NVR simulator was not ready within ${timeoutMs} ms.`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; httpPort?: number; rtspPort?: number };
        if (event.event === 'ready' && event.httpPort && event.rtspPort) {
          clearTimeout(timer);
          resolve({ httpPort: event.httpPort, rtspPort: event.rtspPort });
        }
      } catch {
        // Only the ready event is JSON on stdout, so other lines are skipped.
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The NVR simulator exited (${code ?? signal}) before it was ready.`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
