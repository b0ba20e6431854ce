import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { waitFor } from './polling.js';

/** The server workspace folder, where `src/server.ts` and `src/cli` live. */
export const serverDir = path.resolve(import.meta.dirname, '../..');

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The real server as a child process that tests start, SIGKILL and start again. */
export class ServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly port: number,
    private readonly env: () => NodeJS.ProcessEnv,
  ) {}

  /** Starts the server and waits until it answers HTTP on its port. */
  async start(): Promise<void> {
    // One process (node with the tsx loader, not the tsx wrapper), so SIGKILL really kills the server.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: serverDir, env: this.env(), stdio: ['ignore', 'ignore', 'inherit'] });
    this.child = child;
    await waitFor('server to listen', async () => {
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} during start`);
      try {
        return (await fetch(`http://127.0.0.1:${this.port}/api/auth/me`)).status === 401;
      } catch {
        return false;
      }
    }, 30_000);
  }

  /** Kills the server with SIGKILL, as a power cut would, and waits for the process to exit. */
  async kill(): Promise<void> {
    const running = this.child;
    this.child = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGKILL');
    await new Promise((resolve) => running.once('exit', resolve));
  }
}
