/**
 * Starts a simulator's main.ts as a child process (`node --import tsx main.ts …`), waits for its
 * JSON `ready` line on stdout, and ends it again. The launch.ts of each simulator builds its typed
 * handle on top of these helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Time between the requested signal and SIGKILL when a simulator does not exit. */
const STOP_TIMEOUT_MS = 10_000;
/** Log lines kept to explain a failed start-up. */
const KEPT_LOG_LINES = 200;
/** Log lines quoted in the start-up error. */
const QUOTED_LOG_LINES = 20;

export interface SimulatorProcessOptions<Port extends string> {
  /** Simulator name in error messages, such as "NVR". */
  name: string;
  /** Absolute path of the simulator's main.ts. */
  mainPath: string;
  /** Command-line arguments for main.ts. */
  args: string[];
  /** Port fields the ready line must contain with a non-zero value. */
  readyPorts: readonly Port[];
  startupTimeoutMs: number;
  /** Copy the simulator's JSON log lines to this process's stderr. */
  showLogs?: boolean;
  /** The simulator's data folder. A temporary one is deleted when start-up fails and by stop(). */
  dataDir: DataDir;
}

export interface SimulatorProcess<Port extends string> {
  child: ChildProcess;
  /** The ports from the ready line. */
  ports: Record<Port, number>;
  /**
   * Sends `signal` to the process and waits until it exits, sending SIGKILL after 10 s. Returns at
   * once when the process has already exited.
   */
  end(signal: NodeJS.Signals): Promise<void>;
  /**
   * Ends the process with SIGTERM and then deletes a temporary data folder. Later calls return the
   * promise of the first.
   */
  stop(): Promise<void>;
}

export interface DataDir {
  dataDir: string;
  /** True for a temporary folder created by prepareDataDir, which stop() deletes. */
  ownsDataDir: boolean;
}

/** Returns `dataDir`, or creates a temporary folder named `<prefix>XXXXXX` when it is undefined. */
export async function prepareDataDir(prefix: string, dataDir: string | undefined): Promise<DataDir> {
  if (dataDir !== undefined) {
    return { dataDir, ownsDataDir: false };
  }
  return { dataDir: await mkdtemp(path.join(os.tmpdir(), prefix)), ownsDataDir: true };
}

export async function removeDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * Spawns the simulator and resolves once it printed its ready line. On a timeout or an early exit,
 * kills it, deletes a temporary data folder and throws with the last log lines.
 */
export async function startSimulatorProcess<Port extends string>(
  options: SimulatorProcessOptions<Port>,
): Promise<SimulatorProcess<Port>> {
  const args = ['--import', createRequire(import.meta.url).resolve('tsx'), options.mainPath, ...options.args];
  // stdin stays open as a lifeline: when this process dies, the simulator reads EOF and stops.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });

  const logLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    logLines.push(line);
    if (logLines.length > KEPT_LOG_LINES) {
      logLines.shift();
    }
    if (options.showLogs) {
      process.stderr.write(`${line}\n`);
    }
  });

  let ports: Record<Port, number>;
  try {
    ports = await waitForReady(child, options);
  } catch (error) {
    child.kill('SIGKILL');
    if (options.dataDir.ownsDataDir) {
      await removeDataDir(options.dataDir.dataDir);
    }
    const detail = logLines.slice(-QUOTED_LOG_LINES).join('\n');
    throw new Error(`${(error as Error).message}\nSimulator log:\n${detail}`, { cause: error });
  }

  const end = async (signal: NodeJS.Signals): Promise<void> => {
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
      await end('SIGTERM');
      if (options.dataDir.ownsDataDir) {
        await removeDataDir(options.dataDir.dataDir);
      }
    })();
    return stopped;
  };

  return { child, ports, end, stop };
}

function waitForReady<Port extends string>(
  child: ChildProcess,
  options: SimulatorProcessOptions<Port>,
): Promise<Record<Port, number>> {
  const timeoutMs = options.startupTimeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The ${options.name} simulator was not ready within ${timeoutMs} ms.`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as Partial<Record<Port | 'event', unknown>>;
        if (event.event === 'ready' && options.readyPorts.every((port) => event[port])) {
          clearTimeout(timer);
          const ports = Object.fromEntries(options.readyPorts.map((port) => [port, event[port]]));
          resolve(ports as Record<Port, number>);
        }
      } catch {
        // Only the ready event is JSON on stdout, so other lines are skipped.
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The ${options.name} simulator exited (${code ?? signal}) before it was ready.`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export type ControlMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Returns a function that calls the simulator's control API at `<controlUrl>/__sim/<route>` with an
 * optional JSON body and parses the JSON response. It throws with the status and body on a non-2xx
 * status.
 */
export function createControlClient(controlUrl: string) {
  return async <T>(method: ControlMethod, route: string, body?: unknown): Promise<T> => {
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
}
