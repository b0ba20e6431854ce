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

/** Starts the real server from source and returns once it responds on `port`. */
export async function startServerProcess(env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  // One process (node with the tsx loader, not the tsx wrapper), so SIGKILL really kills the server.
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: serverDir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor('server to listen', async () => {
    if (server.exitCode !== null) throw new Error(`server exited with code ${server.exitCode} during start`);
    try {
      return (await fetch(`http://127.0.0.1:${port}/api/auth/me`)).status === 401;
    } catch {
      return false;
    }
  }, 30_000, 100);
  return server;
}

/** Kills the server with SIGKILL, as a power cut would, and waits for the process to end. */
export async function killServerProcess(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return;
  server.kill('SIGKILL');
  await new Promise((resolve) => server.once('exit', resolve));
}

/** Calls the API over real HTTP with a login cookie and its CSRF header, as the web UI does. */
export class ApiClient {
  private readonly csrfTokens = new Map<string, string>();

  constructor(private readonly port: number) {}

  async login(username: string, password: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    this.csrfTokens.set(cookie, ((await response.json()) as { csrfToken: string }).csrfToken);
    return cookie;
  }

  /** Sends JSON for an object body, the bytes for a Uint8Array. */
  async call(method: string, url: string, cookie: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const isBinary = body instanceof Uint8Array;
    const isJson = body !== undefined && !isBinary;
    let payload: BodyInit | undefined;
    if (isBinary) payload = new Uint8Array(body);
    else if (isJson) payload = JSON.stringify(body);
    return fetch(`http://127.0.0.1:${this.port}${url}`, {
      method,
      headers: { cookie, 'x-tonglu-csrf': this.csrfTokens.get(cookie) ?? '', ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
      body: payload,
    });
  }
}

/** The real server as a child process that tests start, SIGKILL and start again with fresh settings. */
export class ServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly port: number,
    private readonly env: () => NodeJS.ProcessEnv,
  ) {}

  /** Starts the server and waits until it responds to HTTP on its port. */
  async start(): Promise<void> {
    this.child = await startServerProcess(this.env(), this.port);
  }

  /** Kills the server with SIGKILL, as a power cut would, and waits for the process to exit. */
  async kill(): Promise<void> {
    const running = this.child;
    this.child = undefined;
    await killServerProcess(running);
  }
}
