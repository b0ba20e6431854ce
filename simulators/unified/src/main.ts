/**
 * Command-line entry of the 大统一2.0 simulator. Prints one JSON line on stdout when ready:
 *   {"event":"ready","port":…,"controlPort":…}
 * and stops on SIGTERM or SIGINT. See config.ts for the options.
 */
import { ConfigError, parseCommandLine, USAGE } from './config.js';
import { describeError, log } from './log.js';
import { UnifiedSimulator } from './simulator.js';

async function main(): Promise<void> {
  // A parent that died closes our stdout and stderr, so writing there fails with EPIPE.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);

  let config;
  try {
    config = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    const isUsageRequest = error instanceof ConfigError && error.message === USAGE;
    if (isUsageRequest) {
      process.stdout.write(USAGE);
    } else {
      process.stderr.write(`${describeError(error)}\n\n${USAGE}`);
    }
    process.exitCode = isUsageRequest ? 0 : 2;
    return;
  }

  let simulator: UnifiedSimulator | null = null;
  let isStopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (isStopping) {
      return;
    }
    isStopping = true;
    log('info', 'Stopping', { reason });
    try {
      await simulator?.stop();
    } catch (error) {
      log('error', 'Stopping failed', { error: describeError(error) });
      process.exitCode = 1;
    }
    process.exit();
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (config.exitWhenStdinCloses) {
    process.stdin.on('end', () => void stop('stdin closed'));
    process.stdin.resume();
  }

  try {
    simulator = await UnifiedSimulator.create(config);
    const ports = await simulator.start();
    process.stdout.write(`${JSON.stringify({ event: 'ready', port: ports.port, controlPort: ports.controlPort })}\n`);
    log('info', '大统一2.0 simulator ready', { ...ports, dwbm: config.dwbm, dataDir: config.dataDir, cases: simulator.store.caseCount });
  } catch (error) {
    log('error', 'Start-up failed', { error: describeError(error) });
    process.exitCode = 1;
    await stop('start-up failed');
  }
}

void main();
