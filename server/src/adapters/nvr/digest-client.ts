/**
 * HTTP client for NVR web interfaces: Digest authentication over node:http, streamed bodies, time
 * limits on every phase, and failures as NvrError with Chinese messages.
 *
 * Each request opens its own connection (`agent: false`), so a stalled device cannot hold a pooled
 * socket. The first request, without credentials, gets the challenge, and the second one carries the
 * computed Authorization header.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

import {
  buildBasicAuthorization,
  buildDigestAuthorization,
  chooseChallenge,
  parseChallenges,
} from './digest-auth.js';
import {
  authFailedError,
  badResponseError,
  connectTimeoutError,
  idleTimeoutError,
  offlineError,
  responseTimeoutError,
  truncatedBodyError,
  type DeviceAddress,
} from './nvr-messages.js';
import { DEFAULT_NVR_TIMEOUTS, NvrError, type NvrTimeouts } from './nvr.types.js';

export interface DigestRequest {
  host: string;
  port: number;
  method?: 'GET' | 'POST' | 'PUT';
  /** Request-target (path and query), already percent-encoded. The Digest `uri` repeats it verbatim. */
  path: string;
  username: string;
  password: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  timeouts?: Partial<NvrTimeouts>;
}

export interface DigestResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Every WWW-Authenticate header, unjoined. */
  authenticate: string[];
  /**
   * The response body, not buffered. It emits an NvrError (NVR_BAD_RESPONSE) when the connection
   * closes before the body is complete, or NVR_TIMEOUT when no data arrives for `idleMs`.
   * Destroy it to abandon the download.
   */
  body: Readable;
}

/** Socket errors that mean the device is off, unreachable or dropped the connection. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Sends a request with Digest authentication (Basic only when the device offers nothing else).
 * Resolves with any final status except 401, which rejects with NVR_AUTH_FAILED.
 */
export async function digestRequest(request: DigestRequest): Promise<DigestResponse> {
  const timeouts = { ...DEFAULT_NVR_TIMEOUTS, ...request.timeouts };
  let response = await sendOnce(request, timeouts, null);
  if (response.statusCode !== 401) {
    return response;
  }

  // A reply with stale=true means the credentials were right but the nonce expired, so retry once.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const authorization = answerChallenge(request, response.authenticate);
    response.body.destroy();
    if (authorization === null) {
      throw authFailedError();
    }
    response = await sendOnce(request, timeouts, authorization.header);
    if (response.statusCode !== 401) {
      return response;
    }
    const isStale = parseChallenges(response.authenticate).digest.some(
      (challenge) => challenge.isStale,
    );
    if (!isStale || !authorization.isDigest) {
      break;
    }
  }

  response.body.destroy();
  throw authFailedError();
}

/** Reads a whole (small) body as UTF-8 text. A body over `maxBytes` is a bad response. */
export async function readBodyText(response: DigestResponse, address: DeviceAddress, maxBytes = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      response.body.destroy();
      throw badResponseError(address, `应答超过 ${maxBytes} 字节`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answerChallenge(
  request: DigestRequest,
  authenticate: readonly string[],
): { header: string; isDigest: boolean } | null {
  const challenges = parseChallenges(authenticate);
  const credentials = { username: request.username, password: request.password };
  const challenge = chooseChallenge(challenges.digest);
  if (challenge) {
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const header = buildDigestAuthorization(challenge, credentials, request.method ?? 'GET', request.path, body);
    return { header, isDigest: true };
  }
  if (challenges.hasBasic) {
    return { header: buildBasicAuthorization(credentials), isDigest: false };
  }
  return null;
}

/** Sends one request and resolves when the response headers arrive. */
function sendOnce(request: DigestRequest, timeouts: NvrTimeouts, authorization: string | null): Promise<DigestResponse> {
  const address: DeviceAddress = { host: request.host, port: request.port };
  const signal = request.signal;

  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }

    const headers: Record<string, string> = { ...request.headers };
    if (authorization) {
      headers['Authorization'] = authorization;
    }
    if (request.body !== undefined) {
      headers['Content-Length'] = String(Buffer.byteLength(request.body));
    }

    let isSettled = false;
    let phaseTimer: NodeJS.Timeout | undefined;
    const fail = (error: unknown): void => {
      clearTimeout(phaseTimer);
      signal?.removeEventListener('abort', onAbort);
      if (!isSettled) {
        isSettled = true;
        reject(error);
      }
    };
    const onAbort = (): void => {
      fail(signal!.reason);
      outgoing.destroy();
    };

    const outgoing = http.request({
      host: request.host,
      port: request.port,
      method: request.method ?? 'GET',
      path: request.path,
      headers,
      agent: false,
    });

    outgoing.on('socket', (socket) => {
      phaseTimer = setTimeout(() => {
        outgoing.destroy(connectTimeoutError(address, timeouts.connectMs));
      }, timeouts.connectMs);
      socket.once('connect', () => {
        clearTimeout(phaseTimer);
        phaseTimer = setTimeout(() => {
          outgoing.destroy(responseTimeoutError(address, timeouts.responseMs));
        }, timeouts.responseMs);
      });
    });

    outgoing.on('error', (error) => fail(toNvrError(error, address)));
    outgoing.on('response', (incoming) => {
      clearTimeout(phaseTimer);
      signal?.removeEventListener('abort', onAbort);
      if (isSettled) {
        incoming.destroy();
        return;
      }
      isSettled = true;
      resolve({
        statusCode: incoming.statusCode ?? 0,
        headers: incoming.headers,
        authenticate: incoming.headersDistinct['www-authenticate'] ?? [],
        body: guardBody(incoming, address, timeouts.idleMs, signal),
      });
    });

    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.end(request.body);
  });
}

/**
 * Wraps the response in a stream that fails loudly: a body that ends before Content-Length (or
 * before the final chunk) or stalls for `idleMs` becomes an NvrError instead of a short file.
 */
function guardBody(incoming: IncomingMessage, address: DeviceAddress, idleMs: number, signal?: AbortSignal): Readable {
  const body = new PassThrough();
  const lengthHeader = incoming.headers['content-length'];
  const expectedBytes = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  let receivedBytes = 0;
  let isFinished = false;

  const stop = (error: unknown): void => {
    if (isFinished) {
      return;
    }
    isFinished = true;
    signal?.removeEventListener('abort', onAbort);
    incoming.destroy();
    body.destroy(error as Error);
  };
  const onAbort = (): void => stop(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  incoming.socket.setTimeout(idleMs, () => stop(idleTimeoutError(address, idleMs, receivedBytes)));
  incoming.on('data', (chunk: Buffer) => {
    receivedBytes += chunk.length;
  });
  incoming.pipe(body, { end: false });

  incoming.on('end', () => {
    if (isFinished) {
      return;
    }
    if (!incoming.complete || (expectedBytes !== null && receivedBytes !== expectedBytes)) {
      stop(truncatedBodyError(address, receivedBytes, expectedBytes));
      return;
    }
    isFinished = true;
    signal?.removeEventListener('abort', onAbort);
    incoming.socket?.setTimeout(0);
    body.end();
  });
  incoming.on('error', (error) => stop(truncatedBodyError(address, receivedBytes, expectedBytes, error)));
  incoming.on('close', () => {
    if (!isFinished && !incoming.complete) {
      stop(truncatedBodyError(address, receivedBytes, expectedBytes));
    }
  });
  // The consumer gave up (destroyed the body): release the connection.
  body.on('close', () => {
    if (!isFinished) {
      isFinished = true;
      signal?.removeEventListener('abort', onAbort);
      incoming.destroy();
    }
  });

  return body;
}

function toNvrError(error: unknown, address: DeviceAddress): unknown {
  if (error instanceof NvrError) {
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (CONNECTION_ERROR_CODES.has(code)) {
    return offlineError(address, error);
  }
  if (code.startsWith('HPE_')) {
    return badResponseError(address, 'HTTP 格式错误', error);
  }
  return offlineError(address, error);
}
