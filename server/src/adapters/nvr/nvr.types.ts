/**
 * The NVR adapter contract: one implementation per vendor (Dahua, Hikvision, generic RTSP).
 * All instants are UTC `Date`s, and adapters convert them to the device's local time.
 */

export type NvrVendor = 'dahua' | 'hikvision' | 'rtsp';

export interface NvrConnection {
  vendor: NvrVendor;
  host: string;
  httpPort: number;
  rtspPort: number;
  username: string;
  password: string;
  /** Channel number as the vendor's RTSP URLs count it, starting at 1. */
  channel: number;
  /** Device local time zone in minutes east of UTC: 480 for UTC+8. */
  utcOffsetMinutes: number;
  /**
   * Path and query of the live stream for the generic RTSP vendor, for example "/live/ch{channel}".
   * "{channel}" is replaced by the channel number. Dahua and Hikvision ignore it.
   */
  rtspPath?: string;
}

export interface NvrTestResult {
  /** The device responded on its HTTP port (Dahua, Hikvision) and on its RTSP port. */
  reachable: boolean;
  /** The device accepted the login name and password. */
  authenticated: boolean;
  /** NVR clock when it responded, or null when the vendor has no clock query or the query failed. */
  deviceTime: Date | null;
  /** NVR clock minus server clock in ms, or null when unknown. */
  clockOffsetMs: number | null;
  /** One Chinese sentence or two for the administrator: the result and what to do. */
  message: string;
}

export interface NvrAdapter {
  /** Checks reachability, login and the clock. Device problems do not throw: the result describes them. */
  testConnection(conn: NvrConnection): Promise<NvrTestResult>;
  /**
   * Returns the NVR clock as a UTC instant. Vendors report whole seconds, so the value is accurate to
   * about half a second plus half the round trip.
   */
  getDeviceTime(conn: NvrConnection, signal?: AbortSignal): Promise<Date>;
  /** rtsp:// URL of the channel's main stream with percent-encoded credentials. */
  liveUrl(conn: NvrConnection): string;
  /**
   * rtsp:// URL that plays [from, to] from the NVR's recording. `from` and `to` are NVR-clock
   * instants. The URL carries them in device local time, widened to whole seconds.
   */
  playbackUrl(conn: NvrConnection, from: Date, to: Date): string;
  /**
   * Streams the recording of [from, to] (NVR clock) in the vendor's container (DHAV, MPEG-TS or PS).
   * The stream emits an NvrError when the connection breaks before the body is complete.
   * Undefined when the vendor has no HTTP download.
   */
  downloadRange?(conn: NvrConnection, from: Date, to: Date, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** Returns the recorded intervals (NVR clock) that overlap [from, to], merged and clipped to it. */
  listRecordings?(conn: NvrConnection, from: Date, to: Date, signal?: AbortSignal): Promise<{ from: Date; to: Date }[]>;
}

export type NvrErrorCode =
  | 'NVR_OFFLINE'
  | 'NVR_AUTH_FAILED'
  | 'NVR_TIMEOUT'
  | 'NVR_BAD_RESPONSE'
  | 'NVR_NO_RECORDING'
  | 'NVR_UNSUPPORTED';

/** Device failure with a stable code and a Chinese message that names the next step for the user. */
export class NvrError extends Error {
  constructor(
    readonly code: NvrErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NvrError';
  }
}

/** Time limits for talking to an NVR, in ms. */
export interface NvrTimeouts {
  /** TCP connect. */
  connectMs: number;
  /** From sending a request to the first byte of the response headers. */
  responseMs: number;
  /** Maximum pause between two chunks of a response body. */
  idleMs: number;
}

export const DEFAULT_NVR_TIMEOUTS: NvrTimeouts = {
  connectMs: 10_000,
  responseMs: 10_000,
  idleMs: 30_000,
};
