/**
 * Starts the 易办案 simulator as a separate process for tests and demos, and drives its control API.
 *
 *   const yibanan = await startYibananSimulator({ token: 'secret' });
 *   await yibanan.setState({ errorStatus: 503 });
 *   const packages = await yibanan.packages();
 *   await yibanan.stop();
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createControlClient, prepareDataDir, startSimulatorProcess } from '../../common/src/process-launch.js';

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

export async function startYibananSimulator(options: YibananSimulatorOptions = {}): Promise<YibananSimulator> {
  const prepared = await prepareDataDir('tonglu-yibanan-sim-', options.dataDir);
  const { dataDir } = prepared;
  const token = options.token ?? 'yibanan-test-token';

  const { child, ports, end, stop } = await startSimulatorProcess({
    name: '易办案',
    mainPath: MAIN_PATH,
    args: [
      '--port',
      String(options.port ?? 0),
      '--control-port',
      String(options.controlPort ?? 0),
      '--token',
      token,
      '--data-dir',
      dataDir,
      '--exit-when-stdin-closes',
    ],
    readyPorts: ['port', 'controlPort'],
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
    showLogs: options.showLogs,
    dataDir: prepared,
  });

  const controlUrl = `http://127.0.0.1:${ports.controlPort}`;
  const callControl = createControlClient(controlUrl);

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
    kill: () => end('SIGKILL'),
  };
}
