import path from 'node:path';
import { parseArgs } from 'node:util';

export interface SimulatorConfig {
  /** API port on 127.0.0.1. 0 picks a free port, which the `down` switch reopens when switched off. */
  port: number;
  controlPort: number;
  /** Bearer token the API requires. */
  token: string;
  /** 单位编码 of the simulated procuratorate. */
  dwbm: string;
  /** Folder for the persisted data set, or null to keep it in memory only. */
  dataDir: string | null;
  seedCases: number;
  suspectsPerCase: number;
  /** Random seed of the start-up data set, so two runs with the same seed produce the same cases. */
  seed: number;
  /** Stop when stdin reaches end of file, so a simulator started by a crashed test runner ends too. */
  exitWhenStdinCloses: boolean;
}

export const USAGE = `Usage: node --import tsx simulators/unified/src/main.ts [options]

  --port N                   大统一2.0 API port on 127.0.0.1 (0 = any free port; default 0)
  --control-port N           /__sim control API port on 127.0.0.1, no authentication (0 = any free port; default 0)
  --token TEXT               Bearer token the API requires (default unified-sim-token)
  --dwbm CODE                单位编码, six digits (default 320583)
  --data-dir DIR             folder where the data set is persisted, so a restart keeps it (default: memory only)
  --seed-cases N             cases generated at start when the data set is empty (default 0)
  --suspects-per-case K      suspects (嫌疑人) per generated case (default 1)
  --seed N                   random seed for the start-up cases (default 1)
  --exit-when-stdin-closes   stop when stdin closes (used by launch.ts)
`;

export class ConfigError extends Error {}

export function parseCommandLine(argv: readonly string[]): SimulatorConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '0' },
      'control-port': { type: 'string', default: '0' },
      token: { type: 'string', default: 'unified-sim-token' },
      dwbm: { type: 'string', default: '320583' },
      'data-dir': { type: 'string' },
      'seed-cases': { type: 'string', default: '0' },
      'suspects-per-case': { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      'exit-when-stdin-closes': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });

  if (values.help) {
    throw new ConfigError(USAGE);
  }
  if (!/^\d{6}$/.test(values.dwbm)) {
    throw new ConfigError(`--dwbm ${values.dwbm} is invalid. Expected six digits such as 320583.`);
  }
  if (values.token.trim() === '') {
    throw new ConfigError('--token must not be empty.');
  }

  return {
    port: readInteger('--port', values.port, 0, 65_535),
    controlPort: readInteger('--control-port', values['control-port'], 0, 65_535),
    token: values.token,
    dwbm: values.dwbm,
    dataDir: values['data-dir'] === undefined ? null : path.resolve(values['data-dir']),
    seedCases: readInteger('--seed-cases', values['seed-cases'], 0, 1_000_000),
    suspectsPerCase: readInteger('--suspects-per-case', values['suspects-per-case'], 1, 50),
    seed: readInteger('--seed', values.seed, 0, 2 ** 32 - 1),
    exitWhenStdinCloses: values['exit-when-stdin-closes'],
  };
}

function readInteger(name: string, text: string, minimum: number, maximum: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw new ConfigError(`${name} ${text} is invalid. Expected an integer from ${minimum} to ${maximum}.`);
  }
  return value;
}
