import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

import type { NvrConnection, NvrVendor } from '../../../src/adapters/nvr/nvr.types.js';
import { NVR_PASSWORD, NVR_USER, type NvrSimulator } from '../../helpers/nvr-simulator.js';

export function connectionTo(nvr: NvrSimulator, vendor: NvrVendor, overrides: Partial<NvrConnection> = {}): NvrConnection {
  return {
    vendor,
    host: '127.0.0.1',
    httpPort: nvr.httpPort,
    rtspPort: nvr.rtspPort,
    username: NVR_USER,
    password: NVR_PASSWORD,
    channel: 1,
    utcOffsetMinutes: 480,
    ...overrides,
  };
}

/** Resolves with the error a promise rejects with, or throws if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}

/** Writes a stream to a file and resolves with the error it ended with, or null. */
export async function saveStream(stream: NodeJS.ReadableStream, filePath: string): Promise<(Error & { code?: string }) | null> {
  try {
    await pipeline(stream, createWriteStream(filePath));
    return null;
  } catch (error) {
    return error as Error & { code?: string };
  }
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

/** Returns the container duration in seconds and the video packet count of a media file. */
export async function probeMedia(filePath: string): Promise<{ durationSeconds: number; packets: number; codec: string }> {
  const result = await runCommand('ffprobe', [
    '-v', 'error', '-count_packets', '-select_streams', 'v:0',
    '-show_entries', 'format=duration:stream=codec_name,nb_read_packets', '-of', 'json', filePath,
  ]);
  if (result.exitCode !== 0) {
    throw new Error(`ffprobe ${filePath} failed: ${result.stderr}`);
  }
  const parsed = JSON.parse(result.stdout) as {
    format: { duration: string };
    streams: Array<{ codec_name: string; nb_read_packets: string }>;
  };
  return {
    durationSeconds: Number(parsed.format.duration),
    packets: Number(parsed.streams[0]?.nb_read_packets ?? 0),
    codec: parsed.streams[0]?.codec_name ?? '',
  };
}

/** Pulls `seconds` of an RTSP URL over TCP with `-c copy`, as the archive job and live view do. */
export function pullRtsp(url: string, seconds: number, outputPath: string): Promise<CommandResult> {
  return runCommand('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-rtsp_transport', 'tcp', '-timeout', '10000000',
    '-i', url, '-t', String(seconds), '-c', 'copy', outputPath,
  ]);
}

/** Polls the simulator until it has recorded up to `until`. */
export async function waitForRecording(nvr: NvrSimulator, until: Date, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const runs = await nvr.recordings();
    if (runs.some((run) => Date.parse(run.to) >= until.getTime())) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The simulator did not record up to ${until.toISOString()} within ${timeoutMs} ms.`);
}
