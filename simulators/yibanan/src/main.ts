/**
 * Command-line entry of the 易办案 receiver simulator. Prints one JSON line on stdout when ready:
 *   {"event":"ready","port":…,"controlPort":…}
 * and stops on SIGTERM or SIGINT. See config.ts for the options.
 */
import { runSimulatorMain } from '../../common/src/process-main.js';

import { ConfigError, parseCommandLine, USAGE } from './config.js';
import { log } from './log.js';
import { YibananSimulator } from './simulator.js';

void runSimulatorMain({
  usage: USAGE,
  parseCommandLine,
  isUsageRequest: (error) => error instanceof ConfigError && error.message === USAGE,
  log,
  readyMessage: '易办案 simulator ready',
  setUp: (config) => {
    const simulator = new YibananSimulator(config);
    return {
      exitWhenStdinCloses: config.exitWhenStdinCloses,
      start: async () => {
        const ports = await simulator.start();
        return {
          ready: { port: ports.port, controlPort: ports.controlPort },
          logFields: { ...ports, dataDir: config.dataDir },
        };
      },
      stop: () => simulator.stop(),
    };
  },
});
