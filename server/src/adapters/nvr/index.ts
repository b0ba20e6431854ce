import { DahuaAdapter } from './dahua.adapter.js';
import { HikvisionAdapter } from './hikvision.adapter.js';
import { DEFAULT_NVR_TIMEOUTS, type NvrAdapter, type NvrTimeouts, type NvrVendor } from './nvr.types.js';
import { RtspAdapter } from './rtsp.adapter.js';

export { NvrError, DEFAULT_NVR_TIMEOUTS } from './nvr.types.js';
export type { NvrAdapter, NvrConnection, NvrTestResult, NvrTimeouts, NvrVendor } from './nvr.types.js';

export interface NvrAdapterOptions {
  timeouts?: Partial<NvrTimeouts>;
}

/** Creates the adapter for a vendor. Adapters keep no per-device state, because each call gets the connection. */
export function createNvrAdapter(vendor: NvrVendor, options: NvrAdapterOptions = {}): NvrAdapter {
  const timeouts = { ...DEFAULT_NVR_TIMEOUTS, ...options.timeouts };
  switch (vendor) {
    case 'dahua':
      return new DahuaAdapter(timeouts);
    case 'hikvision':
      return new HikvisionAdapter(timeouts);
    case 'rtsp':
      return new RtspAdapter(timeouts);
    default:
      throw new Error(`Unknown NVR vendor "${String(vendor satisfies never)}".`);
  }
}
