import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

export interface RunOptions {
  stdin?: Readable;
  signal?: AbortSignal;
  /** Receives stdout chunks; when absent stdout is collected and returned. */
  onStdout?: (chunk: Buffer) => void;
}

const STDERR_TAIL_BYTES = 4096;

/** Hides credentials that ffmpeg echoes back inside URLs (rtsp://user:password@host). */
export function redactCredentials(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@');
}

/**
 * Runs ffmpeg or ffprobe and resolves with stdout when it exits with 0.
 * An error on the stdin source (a broken NVR download) fails the run even if ffmpeg exits cleanly,
 * because ffmpeg treats a closed pipe as a normal end of input.
 */
export function runMediaTool(binary: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], signal: options.signal });
    const stdout: Buffer[] = [];
    let stderr = '';
    let inputError: Error | undefined;

    child.stdout?.on('data', (chunk: Buffer) => (options.onStdout ? options.onStdout(chunk) : stdout.push(chunk)));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = redactCredentials(stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });

    if (options.stdin && child.stdin) {
      const input = options.stdin;
      input.on('error', (error) => {
        inputError = error;
        child.kill('SIGKILL');
      });
      // ffmpeg closes stdin early once it has read `-t` seconds; that EPIPE is expected.
      child.stdin.on('error', () => undefined);
      input.pipe(child.stdin);
    }

    child.on('error', (error) => reject(new FfmpegError(`${binary} could not run: ${error.message}`, null, stderr)));
    child.on('close', (code) => {
      if (options.stdin) {
        // Stop the download once ffmpeg has what it needs (or has failed).
        options.stdin.unpipe();
        options.stdin.destroy();
      }
      if (inputError) {
        reject(inputError);
        return;
      }
      if (code !== 0) {
        reject(new FfmpegError(`${binary} exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, code, stderr));
        return;
      }
      resolve(Buffer.concat(stdout).toString('utf8'));
    });
  });
}
