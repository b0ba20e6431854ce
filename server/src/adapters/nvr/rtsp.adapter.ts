/**
 * Generic RTSP devices (cameras or NVRs of other brands): live view only. There is no standard way
 * to read their clock or to play back a time range over plain RTSP, so those calls throw
 * NVR_UNSUPPORTED.
 */
import { runConnectionTest } from './connection-test.js';
import {
  DEFAULT_NVR_TIMEOUTS,
  NvrError,
  type NvrAdapter,
  type NvrConnection,
  type NvrTestResult,
  type NvrTimeouts,
} from './nvr.types.js';
import { buildRtspUrl } from './rtsp-url.js';

export class RtspAdapter implements NvrAdapter {
  constructor(private readonly timeouts: NvrTimeouts = DEFAULT_NVR_TIMEOUTS) {}

  testConnection(conn: NvrConnection): Promise<NvrTestResult> {
    return runConnectionTest(conn, {
      readDeviceTime: null,
      liveUrlWithoutCredentials: (connection) => buildRtspUrl(connection, livePath(connection), false),
      timeouts: this.timeouts,
    });
  }

  getDeviceTime(): Promise<Date> {
    return Promise.reject(
      new NvrError('NVR_UNSUPPORTED', '通用 RTSP 设备无法读取设备时间，请为设备配置 NTP 校时，或把厂商改为大华或海康威视。'),
    );
  }

  liveUrl(conn: NvrConnection): string {
    return buildRtspUrl(conn, livePath(conn));
  }

  playbackUrl(): string {
    throw new NvrError('NVR_UNSUPPORTED', '通用 RTSP 设备不支持按时间段回放录像，请把厂商改为大华或海康威视。');
  }
}

/** Fills "{channel}" into the connection's `rtspPath`, or returns "/" when none is set. */
function livePath(conn: NvrConnection): string {
  const template = conn.rtspPath?.trim() || '/';
  const path = template.replaceAll('{channel}', String(conn.channel));
  return path.startsWith('/') ? path : `/${path}`;
}
