import type { AppConfig } from '../../src/config/config.js';
import { startUnifiedSimulator, type UnifiedSimulatorOptions } from '../../../simulators/unified/src/launch.js';

export type UnifiedSimulator = Awaited<ReturnType<typeof startUnifiedSimulator>>;

/** Starts the 大统一2.0 simulator process on free ports of 127.0.0.1 and waits for its ready line. */
export async function startTestUnified(options: UnifiedSimulatorOptions = {}): Promise<UnifiedSimulator> {
  return startUnifiedSimulator({ token: 'sync-test-token', dwbm: '320583', ...options });
}

/** Server settings that point the sync at the simulator; retries back off from 20 ms so outage tests stay quick. */
export function unifiedConfig(simulator: UnifiedSimulator): Partial<AppConfig> {
  return {
    unifiedUrl: simulator.baseUrl,
    unifiedToken: simulator.token,
    unifiedUnitCode: simulator.dwbm,
    unifiedSyncIntervalMinutes: 0,
    unifiedRetryBaseMs: 20,
  };
}
