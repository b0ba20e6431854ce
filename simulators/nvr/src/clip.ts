/**
 * Streams a planned cut of the recording as one MPEG-TS, remuxed by `ffmpeg -c copy`.
 *
 * Node reads the chosen byte ranges of the segment files and pipes them into ffmpeg, which writes a
 * clean transport stream (continuous continuity counters, timestamps starting near zero) to stdout.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { describeError, log } from './log.js';
import type { ByteRange } from './segment-store.js';

export interface ClipStream {
  stream: Readable;
  /** Stops ffmpeg and the file reads, for example when the client disconnects. */
  cancel(): void;
}

export function streamClip(ranges: readonly ByteRange[], ffmpegPath: string): ClipStream {
  const child = spawn(
    ffmpegPath,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-f',
      'mpegts',
      '-i',
      'pipe:0',
      '-map',
      '0:v',
      '-c',
      'copy',
      '-f',
      'mpegts',
      'pipe:1',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output = new PassThrough();
  let isCancelled = false;
  let stderr = '';

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  child.stdout.pipe(output, { end: false });
  child.on('error', (error) => output.destroy(error));
  child.on('close', (code, signal) => {
    if (isCancelled) {
      return;
    }
    if (code === 0) {
      output.end();
      return;
    }
    const error = new Error(`ffmpeg remux exited with code ${code ?? signal}: ${stderr.trim()}`);
    log('error', 'Clip remux failed', { pid: child.pid, error: error.message });
    output.destroy(error);
  });

  pipeline(Readable.from(readRanges(ranges)), child.stdin).catch((error: unknown) => {
    // EPIPE after a cancel, or ffmpeg exiting early, ends the copy. The close handler reports ffmpeg's exit.
    if (!isCancelled) {
      log('warn', 'Feeding segments to the clip remux stopped', { pid: child.pid, error: describeError(error) });
    }
  });

  return {
    stream: output,
    cancel() {
      if (isCancelled) {
        return;
      }
      isCancelled = true;
      child.stdin.destroy();
      child.kill('SIGKILL');
      output.destroy();
    },
  };
}

async function* readRanges(ranges: readonly ByteRange[]): AsyncGenerator<Buffer> {
  for (const range of ranges) {
    if (range.end <= range.start) {
      continue;
    }
    const stream = createReadStream(range.filePath, { start: range.start, end: range.end - 1 });
    for await (const chunk of stream) {
      yield chunk as Buffer;
    }
  }
}

/** Writes a clip into `directory` and returns the file's path. The file appears only when complete. */
export async function writeClipFile(ranges: readonly ByteRange[], ffmpegPath: string, directory: string): Promise<string> {
  await mkdir(directory, { recursive: true });
  const finalPath = path.join(directory, `clip-${randomUUID()}.ts`);
  const partialPath = `${finalPath}.part`;
  const clip = streamClip(ranges, ffmpegPath);
  try {
    await pipeline(clip.stream, createWriteStream(partialPath));
    await rename(partialPath, finalPath);
  } catch (error) {
    clip.cancel();
    await rm(partialPath, { force: true });
    throw error;
  }
  return finalPath;
}

/** Deletes files in `directory` last modified more than `maxAgeMs` ago. */
export async function removeFilesOlderThan(directory: string, maxAgeMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const filePath = path.join(directory, name);
    const { mtimeMs } = await stat(filePath);
    if (Date.now() - mtimeMs > maxAgeMs) {
      await rm(filePath, { force: true });
      removed += 1;
    }
  }
  return removed;
}
