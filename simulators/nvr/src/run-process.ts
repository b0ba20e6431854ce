import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ProcessResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived command to completion and collects its output (at most 1 MB of each). */
export function runProcess(command: string, args: readonly string[]): Promise<ProcessResult> {
  const limit = 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout = (stdout + text).slice(0, limit);
    });
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(0, limit);
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

const SETPRIV_PATH = '/usr/bin/setpriv';
const canTieToParent = process.platform === 'linux' && existsSync(SETPRIV_PATH);

/**
 * Spawns a long-running child that receives SIGTERM when this process dies, even by SIGKILL.
 * On Linux, util-linux `setpriv --pdeathsig` sets that up and then runs the command in the same
 * process, so the child's pid stays the command's pid. Elsewhere the command runs directly.
 */
export function spawnTiedToParent(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  if (!canTieToParent) {
    return spawn(command, args, options);
  }
  return spawn(SETPRIV_PATH, ['--pdeathsig', 'SIGTERM', '--', command, ...args], options);
}
