/**
 * Checks an RTSP stream without playing it: DESCRIBE (RFC 2326) with Digest or Basic
 * authentication on one TCP connection, then close. Used by the connection test.
 */
import net from 'node:net';

import {
  buildBasicAuthorization,
  buildDigestAuthorization,
  chooseChallenge,
  parseChallenges,
  type DigestCredentials,
} from './digest-auth.js';
import {
  authFailedError,
  badResponseError,
  connectTimeoutError,
  offlineError,
  responseTimeoutError,
  type DeviceAddress,
} from './nvr-messages.js';
import { DEFAULT_NVR_TIMEOUTS, NvrError, type NvrTimeouts } from './nvr.types.js';

interface RtspReply {
  status: number;
  headers: Array<[string, string]>;
}

const MAX_REPLY_BYTES = 64 * 1024;

/**
 * Sends DESCRIBE for `url` (rtsp://host:port/path?query, without credentials) and resolves when the
 * device returns 200. Rejects with NVR_OFFLINE, NVR_TIMEOUT, NVR_AUTH_FAILED or NVR_BAD_RESPONSE.
 */
export async function probeRtspStream(
  url: string,
  credentials: DigestCredentials,
  options: { timeouts?: Partial<NvrTimeouts>; signal?: AbortSignal } = {},
): Promise<void> {
  const timeouts = { ...DEFAULT_NVR_TIMEOUTS, ...options.timeouts };
  const parsed = new URL(url);
  const address: DeviceAddress = { host: parsed.hostname, port: Number(parsed.port || 554) };
  const connection = await RtspConnection.open(address, timeouts, options.signal);

  try {
    let reply = await connection.request('DESCRIBE', url, null);
    if (reply.status === 401) {
      const authorization = answerChallenge(reply, credentials, url);
      if (authorization === null) {
        throw authFailedError();
      }
      reply = await connection.request('DESCRIBE', url, authorization);
    }

    if (reply.status === 200) {
      return;
    }
    if (reply.status === 401 || reply.status === 403) {
      throw authFailedError();
    }
    if (reply.status === 404) {
      throw new NvrError('NVR_BAD_RESPONSE', `硬盘录像机 ${address.host}:${address.port} 上没有这个通道的视频流（RTSP 404），请核对平台通道号。`);
    }
    throw badResponseError(address, `RTSP ${reply.status}`);
  } finally {
    connection.close();
  }
}

function answerChallenge(reply: RtspReply, credentials: DigestCredentials, url: string): string | null {
  const values = reply.headers.filter(([name]) => name === 'www-authenticate').map(([, value]) => value);
  const challenges = parseChallenges(values);
  const challenge = chooseChallenge(challenges.digest);
  if (challenge) {
    return buildDigestAuthorization(challenge, credentials, 'DESCRIBE', url);
  }
  return challenges.hasBasic ? buildBasicAuthorization(credentials) : null;
}

/** One RTSP control connection that sends requests in turn and reads each reply with its body. */
class RtspConnection {
  private buffer = Buffer.alloc(0);
  private sequence = 0;
  private waiter: (() => void) | null = null;
  private failure: unknown = null;

  private constructor(
    private readonly socket: net.Socket,
    private readonly address: DeviceAddress,
    private readonly timeouts: NvrTimeouts,
    private readonly signal?: AbortSignal,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', (error) => this.fail(offlineError(address, error)));
    socket.on('close', () => this.fail(offlineError(address)));
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  static open(address: DeviceAddress, timeouts: NvrTimeouts, signal?: AbortSignal): Promise<RtspConnection> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const socket = net.connect(address.port, address.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(connectTimeoutError(address, timeouts.connectMs));
      }, timeouts.connectMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RtspConnection(socket, address, timeouts, signal));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(offlineError(address, error));
      });
    });
  }

  async request(method: string, url: string, authorization: string | null): Promise<RtspReply> {
    this.sequence += 1;
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${this.sequence}`, 'Accept: application/sdp', 'User-Agent: Tonglu'];
    if (authorization) {
      lines.push(`Authorization: ${authorization}`);
    }
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);

    const deadline = Date.now() + this.timeouts.responseMs;
    for (;;) {
      const reply = this.takeReply();
      if (reply) {
        return reply;
      }
      if (this.failure) {
        throw this.failure;
      }
      if (this.buffer.length > MAX_REPLY_BYTES) {
        throw badResponseError(this.address, 'RTSP 应答过长');
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        throw responseTimeoutError(this.address, this.timeouts.responseMs);
      }
      await this.waitForData(remainingMs);
    }
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }

  /** Removes one complete reply (headers and Content-Length body) from the buffer, if there is one. */
  private takeReply(): RtspReply | null {
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) {
      return null;
    }
    const lines = this.buffer.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const statusMatch = /^RTSP\/\d\.\d (\d{3})/.exec(lines[0] ?? '');
    if (!statusMatch) {
      throw badResponseError(this.address, '不是 RTSP 应答');
    }
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) {
        headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
      }
    }
    const contentLength = Number(headers.find(([name]) => name === 'content-length')?.[1] ?? 0);
    const total = headerEnd + 4 + contentLength;
    if (this.buffer.length < total) {
      return null;
    }
    this.buffer = this.buffer.subarray(total);
    return { status: Number(statusMatch[1]), headers };
  }

  private waitForData(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
    });
  }

  private wake(): void {
    this.waiter?.();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wake();
  }

  private readonly onAbort = (): void => {
    this.fail(this.signal!.reason);
    this.socket.destroy();
  };
}
