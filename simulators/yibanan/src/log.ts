/**
 * JSON-lines logger on stderr, tagged `yibanan-simulator`. Set YIBANAN_SIM_LOG_LEVEL to debug, info, warn or error
 * (default info). Stdout is reserved for the machine-readable `ready` event that launch.ts waits for.
 */
import { createLogger } from '../../common/src/log.js';

export { describeError, type LogLevel } from '../../common/src/log.js';

export const log = createLogger('yibanan-simulator', 'YIBANAN_SIM_LOG_LEVEL');
