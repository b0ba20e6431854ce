import type { DemoRoom } from '../../src/db/seed.js';
import { startNvrSimulator } from '../../../simulators/nvr/src/launch.js';

export const NVR_USER = 'admin';
// Reserved URL characters on purpose: credentials must be percent-encoded in RTSP URLs.
export const NVR_PASSWORD = 'p@ss#1:x';

export type NvrSimulator = Awaited<ReturnType<typeof startNvrSimulator>>;

export async function startTestNvr(): Promise<NvrSimulator> {
  return startNvrSimulator({ username: NVR_USER, password: NVR_PASSWORD });
}

export function roomFor(nvr: NvrSimulator): DemoRoom {
  return { name: '刑检-101讯问室', nvrHost: '127.0.0.1', nvrHttpPort: nvr.httpPort, nvrRtspPort: nvr.rtspPort, username: NVR_USER, password: NVR_PASSWORD, pcIp: '127.0.0.1' };
}
