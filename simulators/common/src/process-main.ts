/**
 * Command-line entry skeleton shared by the simulators' main.ts. It parses the options and prints
 * one JSON `ready` line on stdout once the simulator runs. It stops the simulator on SIGTERM, on
 * SIGINT and, when the options ask for it, at the end of stdin. Exit codes: 0 after a stop or
 * `--help`, 1 when start-up or stopping fails, 2 for invalid options.
 */
import { describeError, type LogFunction } from './log.js';

/** A simulator set up from its options but not started yet. */
export interface SimulatorRun {
  exitWhenStdinCloses: boolean;
  /** Starts the simulator and returns the fields of the ready line and of the ready log entry. */
  start(): Promise<{ ready: Record<string, unknown>; logFields: Record<string, unknown> }>;
  /** Stops the simulator. runSimulatorMain calls it at most once, also after a failed start. */
  stop(): Promise<void>;
}

export interface SimulatorMainOptions<Config> {
  usage: string;
  /** Parses the command-line arguments and throws on invalid ones. */
  parseCommandLine(args: string[]): Config;
  /** Whether an error from parseCommandLine is the request for the usage text (`--help`). */
  isUsageRequest(error: unknown): boolean;
  log: LogFunction;
  /** Message of the info entry logged once the simulator is ready. */
  readyMessage: string;
  /** Creates the simulator. Runs before the signal handlers are installed. */
  setUp(config: Config): SimulatorRun;
}

export async function runSimulatorMain<Config>(options: SimulatorMainOptions<Config>): Promise<void> {
  const { log } = options;

  // A parent that died closes our stdout and stderr. Writing there then fails with EPIPE, which
  // must not crash the simulator before it has stopped its children.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);

  let config: Config;
  try {
    config = options.parseCommandLine(process.argv.slice(2));
  } catch (error) {
    const isUsageRequest = options.isUsageRequest(error);
    if (isUsageRequest) {
      process.stdout.write(options.usage);
    } else {
      process.stderr.write(`${describeError(error)}\n\n${options.usage}`);
    }
    process.exitCode = isUsageRequest ? 0 : 2;
    return;
  }

  const simulator = options.setUp(config);
  let isStopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (isStopping) {
      return;
    }
    isStopping = true;
    log('info', 'Stopping', { reason });
    try {
      await simulator.stop();
    } catch (error) {
      log('error', 'Stopping failed', { error: describeError(error) });
      process.exitCode = 1;
    }
    process.exit();
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (simulator.exitWhenStdinCloses) {
    process.stdin.on('end', () => void stop('stdin closed'));
    process.stdin.resume();
  }

  try {
    const { ready, logFields } = await simulator.start();
    process.stdout.write(`${JSON.stringify({ event: 'ready', ...ready })}\n`);
    log('info', options.readyMessage, logFields);
  } catch (error) {
    log('error', 'Start-up failed', { error: describeError(error) });
    process.exitCode = 1;
    await stop('start-up failed');
  }
}
