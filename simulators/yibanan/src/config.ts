import path from 'node:path';
import { parseArgs } from 'node:util';

export interface SimulatorConfig {
  /** Port of the 易办案 API on 127.0.0.1; 0 picks a free port. */
  port: number;
  /** Port of the /__sim control API on 127.0.0.1; 0 picks a free port. */
  controlPort: number;
  /** Bearer token that every API request must carry. */
  token: string;
  /** Folder with one sub-folder per package (manifest, received files, state). */
  dataDir: string;
  /** Stop when stdin reaches end of file, so a simulator started by a crashed test runner ends too. */
  exitWhenStdinCloses: boolean;
}

export const USAGE = `Usage: node --import tsx simulators/yibanan/src/main.ts --token TOKEN --data-dir DIR [options]

  --port N                   易办案 API port on 127.0.0.1 (0 = any free port; default 0)
  --control-port N           /__sim control API port on 127.0.0.1 (0 = any free port; default 0)
  --token TEXT               Bearer token the API requires (required)
  --data-dir DIR             folder for received packages; kept across restarts (required)
  --exit-when-stdin-closes   stop when stdin closes (used by launch.ts)
`;

export class ConfigError extends Error {}

export function parseCommandLine(argv: readonly string[]): SimulatorConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '0' },
      'control-port': { type: 'string', default: '0' },
      token: { type: 'string' },
      'data-dir': { type: 'string' },
      'exit-when-stdin-closes': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });

  if (values.help) {
    throw new ConfigError(USAGE);
  }
  const dataDir = values['data-dir'];
  if (!dataDir) {
    throw new ConfigError('--data-dir is required.');
  }
  const token = values.token;
  if (!token) {
    throw new ConfigError('--token is required.');
  }

  return {
    port: readPort('--port', values.port),
    controlPort: readPort('--control-port', values['control-port']),
    token,
    dataDir: path.resolve(dataDir),
    exitWhenStdinCloses: values['exit-when-stdin-closes'],
  };
}

function readPort(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new ConfigError(`${name} ${text} is invalid. Expected an integer from 0 to 65535.`);
  }
  return value;
}
