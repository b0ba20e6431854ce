/**
 * Command-line entry of the 大统一2.0 simulator. Prints one JSON line on stdout when ready:
 *   {"event":"ready","port":…,"controlPort":…}
 * and stops on SIGTERM or SIGINT. See config.ts for the options.
 */
import { runSimulatorMain } from '../../common/src/process-main.js';

import { ConfigError, parseCommandLine, USAGE } from './config.js';
import { log } from './log.js';
import { UnifiedSimulator } from './simulator.js';

void runSimulatorMain({
  usage: USAGE,
  parseCommandLine,
  isUsageRequest: (error) => error instanceof ConfigError && error.message === USAGE,
  log,
  readyMessage: '大统一2.0 simulator ready',
  setUp: (config) => {
    // The simulator loads its data set asynchronously, so it exists only once start() has run.
    let simulator: UnifiedSimulator | null = null;
    return {
      exitWhenStdinCloses: config.exitWhenStdinCloses,
      start: async () => {
        simulator = await UnifiedSimulator.create(config);
        const ports = await simulator.start();
        return {
          ready: { port: ports.port, controlPort: ports.controlPort },
          logFields: { ...ports, dwbm: config.dwbm, dataDir: config.dataDir, cases: simulator.store.caseCount },
        };
      },
      stop: async () => {
        await simulator?.stop();
      },
    };
  },
});
