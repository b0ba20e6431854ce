import { ElMessage } from 'element-plus';

import { t } from '@/locales';

/** A failed API call: the HTTP status (0 when the server was not reached) and the server's error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Whether to skip the ElMessage toast, for callers that show the error in the page or poll. */
  isSilent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

type UnauthorizedHandler = () => void;

const defaultTimeoutMs = 30_000;

let onUnauthorized: UnauthorizedHandler = () => {};
/** CSRF token of the login session, sent in X-Tonglu-CSRF on every state-changing request. */
let csrfToken: string | null = null;
/** Bounds of the server clock minus the browser clock, in milliseconds, from the responses so far. */
let serverClockOffsetRange = { low: -Infinity, high: Infinity };

/** Sets the handler for a 401 from any call except login. main.ts uses it to open the login page. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** Stores the login session's CSRF token from the login or /api/auth/me response; null after logout. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Returns the CSRF header for requests sent without `request()`, such as resumable uploads. */
export function getCsrfHeaders(): Record<string, string> {
  return csrfToken ? { 'X-Tonglu-CSRF': csrfToken } : {};
}

/**
 * Returns the current time on the server's clock, in epoch milliseconds. Room PCs on a closed network
 * often have a drifting clock, and the recording timer must count from the server's start time.
 */
export function getServerNow(): number {
  const { low, high } = serverClockOffsetRange;
  const offset = Number.isFinite(low) && Number.isFinite(high) ? (low + high) / 2 : 0;
  return Date.now() + offset;
}

function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }

  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

// Narrows the server clock offset with the `Date` header of each response. The header is truncated to
// whole seconds and written just before the headers arrive, so each response bounds the offset to a
// 1 s window. Intersecting the windows keeps the estimate steady, so the timer does not jump back and
// forth. A window that no longer overlaps (the PC clock was changed) starts the estimate again.
// NOTE: the network delay is ignored, which is fine on a LAN but shifts the estimate on slow links.
function recordServerClock(response: Response): void {
  const header = response.headers.get('Date');
  if (!header) return;

  const serverDate = Date.parse(header);
  if (Number.isNaN(serverDate)) return;

  const low = serverDate - Date.now();
  const high = low + 1000;
  const narrowedLow = Math.max(serverClockOffsetRange.low, low);
  const narrowedHigh = Math.min(serverClockOffsetRange.high, high);

  serverClockOffsetRange =
    narrowedLow <= narrowedHigh ? { low: narrowedLow, high: narrowedHigh } : { low, high };
}

function isErrorBody(value: unknown): value is { code: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;

  const record = value as Record<string, unknown>;
  return typeof record.code === 'string' && typeof record.message === 'string';
}

async function readError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A proxy error page or an empty body: fall back to a message built from the status.
  }

  if (isErrorBody(body)) return new ApiError(response.status, body.code, body.message);
  return new ApiError(response.status, `HTTP_${response.status}`, t.errors.http(response.status));
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const hasBody = options.body !== undefined;
  if (hasBody) headers['Content-Type'] = 'application/json';
  const method = options.method ?? 'GET';
  if (method !== 'GET') Object.assign(headers, getCsrfHeaders());

  // AbortSignal.timeout (Chrome 103) and AbortSignal.any (Chrome 116) are missing from the older
  // Chromium kernels of some room PC browsers, so the timeout is wired by hand.
  const controller = new AbortController();
  let isTimedOut = false;
  const timer = window.setTimeout(() => {
    isTimedOut = true;
    controller.abort();
  }, options.timeoutMs ?? defaultTimeoutMs);
  const abortFromCaller = () => controller.abort();
  options.signal?.addEventListener('abort', abortFromCaller);

  try {
    return await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body: hasBody ? JSON.stringify(options.body) : undefined,
      credentials: 'same-origin',
      signal: controller.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (isTimedOut) throw new ApiError(0, 'TIMEOUT', t.errors.timeout);
    throw new ApiError(0, 'NETWORK_ERROR', t.errors.network);
  } finally {
    window.clearTimeout(timer);
    options.signal?.removeEventListener('abort', abortFromCaller);
  }
}

/**
 * Sends one JSON request to the API and returns the parsed body (undefined for 204).
 * Errors become an ApiError with the server's Chinese message, shown as an ElMessage unless
 * `isSilent` is set. A 401 on any call except login also sends the user to the login page.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await send(path, options);
  } catch (error) {
    if (error instanceof ApiError && !options.isSilent) ElMessage.error(error.message);
    throw error;
  }

  recordServerClock(response);

  if (!response.ok) {
    const error = await readError(response);
    const isSessionLost = response.status === 401 && error.code !== 'INVALID_CREDENTIALS';

    if (isSessionLost) {
      onUnauthorized();
    } else if (!options.isSilent) {
      ElMessage.error({ message: error.message, showClose: true, duration: 5000 });
    }
    throw error;
  }

  if (response.status === 204) return undefined as T;

  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Returns the message of an ApiError or any other thrown value, for inline error displays. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return t.errors.loadFailed;
}
