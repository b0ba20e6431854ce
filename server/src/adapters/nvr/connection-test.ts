/**
 * The "测试连接" check shared by the vendor adapters: read the clock over HTTP (when the vendor has
 * a clock query), then DESCRIBE the live stream over RTSP. Device failures become a result with a
 * Chinese message; only programming errors are thrown.
 */
import { formatDeviceTime } from './device-time.js';
import { probeRtspStream } from './rtsp-probe.js';
import { NvrError, type NvrConnection, type NvrTestResult, type NvrTimeouts } from './nvr.types.js';

/** Clock differences above this are reported as a problem, because recordings would be cut at the wrong time. */
export const CLOCK_WARNING_MS = 5_000;

export interface ConnectionTestSteps {
  /** Reads the NVR clock, or null for a vendor without a clock query. */
  readDeviceTime: ((conn: NvrConnection) => Promise<Date>) | null;
  liveUrlWithoutCredentials: (conn: NvrConnection) => string;
  timeouts: NvrTimeouts;
}

export async function runConnectionTest(conn: NvrConnection, steps: ConnectionTestSteps): Promise<NvrTestResult> {
  let deviceTime: Date | null = null;
  let clockOffsetMs: number | null = null;

  if (steps.readDeviceTime) {
    const before = Date.now();
    try {
      deviceTime = await steps.readDeviceTime(conn);
    } catch (error) {
      return failedResult(error, 'HTTP');
    }
    const after = Date.now();
    clockOffsetMs = Math.round(deviceTime.getTime() - (before + after) / 2);
  }

  try {
    await probeRtspStream(steps.liveUrlWithoutCredentials(conn), conn, { timeouts: steps.timeouts });
  } catch (error) {
    const result = failedResult(error, 'RTSP');
    return { ...result, deviceTime, clockOffsetMs };
  }

  return {
    reachable: true,
    authenticated: true,
    deviceTime,
    clockOffsetMs,
    message: describeSuccess(conn, deviceTime, clockOffsetMs),
  };
}

function failedResult(error: unknown, step: 'HTTP' | 'RTSP'): NvrTestResult {
  if (!(error instanceof NvrError)) {
    throw error;
  }
  const prefix = step === 'RTSP' ? '实时视频（RTSP）检查失败：' : '';
  const result: NvrTestResult = {
    reachable: false,
    authenticated: false,
    deviceTime: null,
    clockOffsetMs: null,
    message: `${prefix}${error.message}`,
  };
  switch (error.code) {
    case 'NVR_AUTH_FAILED':
      return { ...result, reachable: true };
    case 'NVR_BAD_RESPONSE':
    case 'NVR_NO_RECORDING':
    case 'NVR_UNSUPPORTED':
      // The device responded. For an RTSP 404 or similar it also accepted the login.
      return { ...result, reachable: true, authenticated: step === 'RTSP' };
    default:
      return result;
  }
}

function describeSuccess(conn: NvrConnection, deviceTime: Date | null, clockOffsetMs: number | null): string {
  if (deviceTime === null || clockOffsetMs === null) {
    return '连接成功，实时视频可以打开。该类设备无法读取时钟，请确认设备已配置 NTP 校时。';
  }
  const shownTime = formatDeviceTime(deviceTime, conn.utcOffsetMinutes, 'dahua-cgi');
  const offsetSeconds = (Math.abs(clockOffsetMs) / 1000).toFixed(1);
  const direction = clockOffsetMs >= 0 ? '快' : '慢';
  // The device reports whole seconds, so differences under one second read as "in step".
  if (Math.abs(clockOffsetMs) < 1000) return `连接成功，实时视频可以打开。设备时间 ${shownTime}，与服务器时间一致（相差不到 1 秒）。`;
  const base = `连接成功，实时视频可以打开。设备时间 ${shownTime}，比服务器${direction} ${offsetSeconds} 秒`;
  if (Math.abs(clockOffsetMs) > CLOCK_WARNING_MS) {
    return `${base}，超过 ${CLOCK_WARNING_MS / 1000} 秒，请校准设备时间（建议配置 NTP）；归档时系统会按此偏差换算时间。`;
  }
  return `${base}。`;
}
