/**
 * Hikvision NVRs: ISAPI over HTTP Digest for the clock, RTSP for live view and playback.
 *
 * Channel URLs follow Hikvision's "<channel><stream>" track ids: 101 is channel 1 main stream,
 * 201 channel 2 main stream.
 * TODO: download over ISAPI (POST /ISAPI/ContentMgmt/search, then GET /ISAPI/ContentMgmt/download
 * with an XML body) is not implemented, so archiving pulls RTSP playback at real time.
 */
import { runConnectionTest } from './connection-test.js';
import { formatDeviceTime, parseIsapiTime, widenToSeconds } from './device-time.js';
import { digestRequest, readBodyText } from './digest-client.js';
import { badResponseError, type DeviceAddress } from './nvr-messages.js';
import {
  DEFAULT_NVR_TIMEOUTS,
  type NvrAdapter,
  type NvrConnection,
  type NvrTestResult,
  type NvrTimeouts,
} from './nvr.types.js';
import { buildRtspUrl } from './rtsp-url.js';

/** ISAPI reports whole seconds, so half a second is added as the unbiased estimate of the true time. */
const HALF_SECOND_MS = 500;

export class HikvisionAdapter implements NvrAdapter {
  constructor(private readonly timeouts: NvrTimeouts = DEFAULT_NVR_TIMEOUTS) {}

  testConnection(conn: NvrConnection): Promise<NvrTestResult> {
    return runConnectionTest(conn, {
      readDeviceTime: (connection) => this.getDeviceTime(connection),
      liveUrlWithoutCredentials: (connection) => buildRtspUrl(connection, livePath(connection), false),
      timeouts: this.timeouts,
    });
  }

  /** Reads `GET /ISAPI/System/time`, using the UTC offset in `localTime` when present and the room's otherwise. */
  async getDeviceTime(conn: NvrConnection, signal?: AbortSignal): Promise<Date> {
    const address: DeviceAddress = { host: conn.host, port: conn.httpPort };
    const response = await digestRequest({
      host: conn.host,
      port: conn.httpPort,
      path: '/ISAPI/System/time',
      username: conn.username,
      password: conn.password,
      signal,
      timeouts: this.timeouts,
    });
    const text = await readBodyText(response, address);
    if (response.statusCode !== 200) {
      throw badResponseError(address, `HTTP ${response.statusCode}`);
    }

    const localTime = /<localTime>([^<]+)<\/localTime>/.exec(text)?.[1];
    const parsed = localTime === undefined ? null : parseIsapiTime(localTime, conn.utcOffsetMinutes);
    if (!parsed) {
      throw badResponseError(address, `设备时间“${(localTime ?? text).trim().slice(0, 60)}”无法识别`);
    }
    return new Date(parsed.getTime() + HALF_SECOND_MS);
  }

  liveUrl(conn: NvrConnection): string {
    return buildRtspUrl(conn, livePath(conn));
  }

  /**
   * `/Streaming/tracks/<channel>01?starttime=20261204T203000Z&endtime=...`.
   * NOTE: the times are device local time despite the Z. Public client tools disagree on whether
   * Hikvision firmware reads the Z as UTC, so check this on a real device.
   */
  playbackUrl(conn: NvrConnection, from: Date, to: Date): string {
    const range = widenToSeconds(from, to);
    const start = formatDeviceTime(range.from, conn.utcOffsetMinutes, 'hikvision-rtsp');
    const end = formatDeviceTime(range.to, conn.utcOffsetMinutes, 'hikvision-rtsp');
    return buildRtspUrl(conn, `/Streaming/tracks/${trackId(conn)}?starttime=${start}&endtime=${end}`);
  }
}

function trackId(conn: NvrConnection): string {
  return `${conn.channel}01`;
}

function livePath(conn: NvrConnection): string {
  return `/Streaming/Channels/${trackId(conn)}`;
}
