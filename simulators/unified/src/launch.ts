/**
 * Starts the 大统一2.0 simulator as a separate process for tests and demos, and drives its control API.
 *
 *   const unified = await startUnifiedSimulator({ token: 't0ken', seedCases: 20 });
 *   await unified.setState({ errorStatus: 503 });
 *   await unified.stop();
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createControlClient, prepareDataDir, removeDataDir, startSimulatorProcess } from '../../common/src/process-launch.js';

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

export async function startUnifiedSimulator(options: UnifiedSimulatorOptions = {}): Promise<UnifiedSimulator> {
  const prepared = await prepareDataDir('tonglu-unified-sim-', options.dataDir);
  const { dataDir, ownsDataDir } = prepared;
  const token = options.token ?? 'unified-sim-token';
  const dwbm = options.dwbm ?? '320583';

  const { child, ports, end } = await startSimulatorProcess({
    name: '大统一2.0',
    mainPath: MAIN_PATH,
    args: [
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
    ],
    readyPorts: ['port', 'controlPort'],
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
    showLogs: options.showLogs,
    dataDir: prepared,
  });

  const controlUrl = `http://127.0.0.1:${ports.controlPort}`;
  const callControl = createControlClient(controlUrl);

  // stop() and kill() share one promise, so whichever runs first decides about the data folder.
  let stopped: Promise<void> | null = null;
  const stopWith = (signal: NodeJS.Signals, removeOwnDataDir: boolean): Promise<void> => {
    stopped ??= (async () => {
      await end(signal);
      if (removeOwnDataDir) {
        await removeDataDir(dataDir);
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
