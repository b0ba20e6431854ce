/**
 * Runs rtsp_server.py (gst-rtsp-server) as a child and talks to it over stdin/stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { log } from './log.js';
import { spawnTiedToParent } from './run-process.js';

export interface RtspServerOptions {
  pythonPath: string;
  udpPort: number;
  httpPort: number;
  realm: string;
  username: string;
  password: string;
}

const SCRIPT_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'rtsp_server.py');
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 3_000;

export class RtspServerProcess {
  private child: ChildProcess | null = null;
  private isStopping = false;
  /** Port of the GStreamer server on 127.0.0.1. Clients reach it through the TCP proxy. */
  port = 0;

  constructor(private readonly options: RtspServerOptions) {}

  async start(): Promise<void> {
    const { options } = this;
    const child = spawnTiedToParent(
      options.pythonPath,
      [
        SCRIPT_PATH,
        '--udp-port',
        String(options.udpPort),
        '--http-port',
        String(options.httpPort),
        '--realm',
        options.realm,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdin!.write(`${JSON.stringify({ username: options.username, password: options.password })}\n`);

    createInterface({ input: child.stderr! }).on('line', (line) => {
      log('warn', 'RTSP server reported', { pid: child.pid, output: line });
    });
    child.on('exit', (code, signal) => {
      const level = this.isStopping ? 'info' : 'error';
      log(level, 'RTSP server exited', { pid: child.pid, code, signal });
    });

    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rtsp_server.py did not report ready within ${READY_TIMEOUT_MS} ms.`)), READY_TIMEOUT_MS);
      lines.on('line', (line) => {
        try {
          const event = JSON.parse(line) as { event?: string; port?: number };
          if (event.event === 'ready' && typeof event.port === 'number') {
            clearTimeout(timer);
            resolve(event.port);
          }
        } catch {
          log('warn', 'RTSP server wrote a non-JSON line on stdout', { output: line });
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`rtsp_server.py exited with code ${code} before it was ready. Check that ${options.pythonPath} has PyGObject and gst-rtsp-server.`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    this.port = await ready;
    log('info', 'RTSP server started', { pid: child.pid, internalPort: this.port });
  }

  /** Changes the password that RTSP Digest authentication accepts. */
  setPassword(password: string): void {
    this.child?.stdin?.write(`${JSON.stringify({ command: 'set-password', password })}\n`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    this.isStopping = true;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}
