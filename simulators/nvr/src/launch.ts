/**
 * Starts the NVR simulator as a separate process for tests and demos, and drives its control API.
 *
 *   const nvr = await startNvrSimulator({ password: 'p@ss#1' });
 *   await nvr.setState({ offline: true });
 *   await nvr.stop();
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createControlClient, prepareDataDir, startSimulatorProcess } from '../../common/src/process-launch.js';

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

export async function startNvrSimulator(options: NvrSimulatorOptions = {}): Promise<NvrSimulator> {
  const prepared = await prepareDataDir('tonglu-nvr-sim-', options.dataDir);
  const { dataDir } = prepared;
  const username = options.username ?? 'admin';
  const password = options.password ?? 'admin123';

  const { child, ports, stop } = await startSimulatorProcess({
    name: 'NVR',
    mainPath: MAIN_PATH,
    args: [
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
    ],
    readyPorts: ['httpPort', 'rtspPort'],
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
    showLogs: options.showLogs,
    dataDir: prepared,
  });

  const baseUrl = `http://127.0.0.1:${ports.httpPort}`;
  const callControl = createControlClient(baseUrl);

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
