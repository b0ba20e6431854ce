/**
 * Command-line entry of the NVR simulator. Prints one JSON line on stdout when ready:
 *   {"event":"ready","httpPort":…,"rtspPort":…}
 * and stops its children on SIGTERM or SIGINT. See config.ts for the options.
 */
import { runSimulatorMain } from '../../common/src/process-main.js';

import { ConfigError, parseCommandLine, USAGE } from './config.js';
import { log } from './log.js';
import { NvrSimulator } from './simulator.js';

void runSimulatorMain({
  usage: USAGE,
  parseCommandLine,
  isUsageRequest: (error) => error instanceof ConfigError && error.message === USAGE,
  log,
  readyMessage: 'NVR simulator ready',
  setUp: (config) => {
    const simulator = new NvrSimulator(config);
    return {
      exitWhenStdinCloses: config.exitWhenStdinCloses,
      start: async () => {
        const running = await simulator.start();
        return {
          ready: { httpPort: running.httpPort, rtspPort: running.rtspPort },
          logFields: { httpPort: running.httpPort, rtspPort: running.rtspPort, dataDir: config.dataDir },
        };
      },
      stop: () => simulator.stop(),
    };
  },
});
