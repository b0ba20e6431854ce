/**
 * Test-side clients: a small HTTP Digest client written independently of the simulator's
 * verifier, plus ffmpeg/ffprobe wrappers.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection closed before the body was complete. */
  isComplete: boolean;
  error: Error | null;
  elapsedMs: number;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Sends a GET with Digest authentication, responding to one 401 challenge, and returns the final reply. */
export async function digestGet(baseUrl: string, pathAndQuery: string, credentials?: Credentials): Promise<HttpResult> {
  const first = await rawGet(baseUrl, pathAndQuery, {});
  if (first.status !== 401 || !credentials) {
    return first;
  }
  const challenge = first.headers['www-authenticate'];
  if (typeof challenge !== 'string') {
    return first;
  }
  return rawGet(baseUrl, pathAndQuery, { Authorization: buildDigestHeader('GET', pathAndQuery, challenge, credentials) });
}

export function buildDigestHeader(method: string, uri: string, challenge: string, credentials: Credentials): string {
  const params: Record<string, string> = {};
  for (const match of challenge.matchAll(/(\w+)="?([^",]*)"?/g)) {
    params[match[1]!] = match[2]!;
  }
  const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = md5(`${credentials.username}:${params['realm']}:${credentials.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${params['nonce']}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${credentials.username}", realm="${params['realm']}", nonce="${params['nonce']}", ` +
    `uri="${uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", ` +
    `opaque="${params['opaque']}", algorithm=MD5`
  );
}

export function rawGet(baseUrl: string, pathAndQuery: string, headers: Record<string, string>): Promise<HttpResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = (status: number, responseHeaders: http.IncomingHttpHeaders, isComplete: boolean, error: Error | null): void => {
      resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks), isComplete, error, elapsedMs: Date.now() - startedAt });
    };
    const request = http.get(`${baseUrl}${pathAndQuery}`, { headers, agent: false }, (response) => {
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => finish(response.statusCode ?? 0, response.headers, false, error));
      response.on('end', () => finish(response.statusCode ?? 0, response.headers, response.complete, null));
    });
    request.on('error', (error) => finish(0, {}, false, error));
  });
}

/** Formats a real instant as device-local Dahua CGI time, percent-encoded for a query string. */
export function dahuaQueryTime(date: Date, utcOffsetMinutes = 480): string {
  return formatDeviceTime(date, utcOffsetMinutes).replace(' ', '%20');
}

export function formatDeviceTime(date: Date, utcOffsetMinutes = 480): string {
  return new Date(date.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export function runCommand(command: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr, elapsedMs: Date.now() - startedAt });
    });
  });
}

export interface ProbeResult {
  durationSeconds: number;
  codec: string;
  width: number;
  packets: number;
}

export async function probeMedia(filePath: string): Promise<ProbeResult> {
  const result = await runCommand('ffprobe', [
    '-v',
    'error',
    '-count_packets',
    '-select_streams',
    'v:0',
    '-show_entries',
    'format=duration:stream=codec_name,width,nb_read_packets',
    '-of',
    'json',
    filePath,
  ]);
  if (result.exitCode !== 0) {
    throw new Error(`ffprobe ${filePath} failed: ${result.stderr}`);
  }
  const parsed = JSON.parse(result.stdout) as {
    format: { duration: string };
    streams: Array<{ codec_name: string; width: number; nb_read_packets: string }>;
  };
  const stream = parsed.streams[0]!;
  return {
    durationSeconds: Number(parsed.format.duration),
    codec: stream.codec_name,
    width: stream.width,
    packets: Number(stream.nb_read_packets),
  };
}

/** Waits until the simulator has recorded at least up to `until` (real time). */
export async function waitForRecording(
  recordings: () => Promise<Array<{ from: string; to: string }>>,
  until: Date,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const runs = await recordings();
    if (runs.some((run) => Date.parse(run.to) >= until.getTime())) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The simulator did not record up to ${until.toISOString()} within ${timeoutMs} ms.`);
}

export function encodeRtspCredentials(credentials: Credentials): string {
  return `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`;
}

/** Runs the mediaFileFind.cgi sequence (create, findFile, findNextFile, close, destroy) and returns the items. */
export async function findFiles(
  baseUrl: string,
  credentials: Credentials,
  from: Date,
  to: Date,
): Promise<Array<Record<string, string>>> {
  const base = '/cgi-bin/mediaFileFind.cgi';
  const created = await digestGet(baseUrl, `${base}?action=factory.create`, credentials);
  const objectId = /^result=(\d+)/.exec(created.body.toString())?.[1];
  if (!objectId) {
    throw new Error(`factory.create returned ${created.status}: ${created.body.toString()}`);
  }

  const started = await digestGet(
    baseUrl,
    `${base}?action=findFile&object=${objectId}&condition.Channel=1` +
      `&condition.StartTime=${dahuaQueryTime(from)}&condition.EndTime=${dahuaQueryTime(to)}`,
    credentials,
  );
  if (started.body.toString() !== 'OK\r\n') {
    throw new Error(`findFile returned ${started.status}: ${started.body.toString()}`);
  }

  const page = await digestGet(baseUrl, `${base}?action=findNextFile&object=${objectId}&count=100`, credentials);
  await digestGet(baseUrl, `${base}?action=close&object=${objectId}`, credentials);
  await digestGet(baseUrl, `${base}?action=destroy&object=${objectId}`, credentials);

  return parseFindResult(page.body.toString());
}

function parseFindResult(text: string): Array<Record<string, string>> {
  const items: Array<Record<string, string>> = [];
  for (const line of text.split('\r\n')) {
    const match = /^items\[(\d+)\]\.([^=]+)=(.*)$/.exec(line);
    if (match) {
      const index = Number(match[1]);
      items[index] ??= {};
      items[index][match[2]!] = match[3]!;
    }
  }
  return items;
}
