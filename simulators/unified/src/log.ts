/**
 * JSON-lines logger on stderr, tagged `unified-simulator`. Set UNIFIED_SIM_LOG_LEVEL to debug, info, warn or error
 * (default info). Stdout is reserved for the machine-readable `ready` event that launch.ts waits for.
 */
import { createLogger } from '../../common/src/log.js';

export { describeError, type LogLevel } from '../../common/src/log.js';

export const log = createLogger('unified-simulator', 'UNIFIED_SIM_LOG_LEVEL');
