import type { IncomingMessage, ServerResponse } from 'node:http';

import { delay, sendJson, sendTruncatedJson } from './http-util.js';
import type { PackageStore, StoredPackage } from './package-store.js';
import type { ApiRoute, SimState } from './sim-state.js';

/** Simulator state and services that the API handlers use. */
export interface ApiContext {
  readonly token: string;
  readonly store: PackageStore;
  state(): SimState;
  /** Counts a request to `route` for errorEvery and returns the status to fail it with, or null. */
  takeInjectedError(route: ApiRoute): number | null;
  /** Returns true when 'wrong-offset' is on and switches it off, so exactly one status is wrong. */
  takeWrongOffset(): boolean;
  /** Records that dropAfterBytes fired; switches it off unless dropEvery is on. */
  markDropFired(): void;
}

/** Slices per second when throttling; smaller slices make the rate smoother. */
const SLICES_PER_SECOND = 10;

/**
 * Yields the request body chunk by chunk. While slowBytesPerSecond is set, chunks are cut into
 * slices and the next read waits, so TCP flow control slows the sender down. The rate is read
 * again for every slice, so switching it applies to running uploads.
 *
 * A client that sent `Expect: 100-continue` (curl -T does) gets `100 Continue` only here, so a
 * request rejected before its body is read never sends the body.
 */
export async function* readBodyChunks(context: ApiContext, request: IncomingMessage, response: ServerResponse): AsyncGenerator<Buffer> {
  if (request.headers.expect?.toLowerCase() === '100-continue' && !response.headersSent) {
    response.writeContinue();
  }
  for await (const chunk of request) {
    let buffer = chunk as Buffer;
    while (buffer.length > 0) {
      const bytesPerSecond = context.state().slowBytesPerSecond;
      if (bytesPerSecond === null) {
        yield buffer;
        break;
      }
      const slice = buffer.subarray(0, Math.max(1, Math.floor(bytesPerSecond / SLICES_PER_SECOND)));
      buffer = buffer.subarray(slice.length);
      yield slice;
      await delay((slice.length / bytesPerSecond) * 1000);
    }
  }
}

/** Sends a JSON response of the API, truncated while the 'bad-json' switch is on. */
export function sendApiJson(
  context: ApiContext,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (context.state().malformed === 'bad-json') {
    sendTruncatedJson(response, status, body, headers);
    return;
  }
  sendJson(response, status, body, headers);
}

/** Sends `{ code, message }`; `extra` adds fields such as uploadOffset. */
export function sendApiError(
  context: ApiContext,
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendApiJson(context, response, status, { code, message, ...extra }, headers);
}

export interface PackageStatus {
  packageId: string;
  state: 'receiving' | 'accepted';
  receiptId: string | null;
  files: Array<{ index: number; path: string; size: number; received: number; complete: boolean }>;
}

/** Builds the package status of section 2.3; `isOffsetWrong` shifts one file's `received` by one byte. */
export function buildPackageStatus(pkg: StoredPackage, isOffsetWrong: boolean): PackageStatus {
  const files = pkg.manifest.files.map((file, index) => {
    const record = pkg.record.files[index]!;
    return { index, path: file.path, size: file.size, received: record.received, complete: record.complete };
  });
  if (isOffsetWrong) {
    const target = files.find((file) => !file.complete && file.size > 0) ?? files.find((file) => file.size > 0);
    if (target) {
      target.received = target.received < target.size ? target.received + 1 : target.received - 1;
      target.complete = false;
    }
  }
  return { packageId: pkg.record.packageId, state: pkg.record.state, receiptId: pkg.record.receiptId, files };
}

export interface Receipt {
  packageId: string;
  state: 'accepted';
  receiptId: string;
  acceptedAt: string;
  files: Array<{ index: number; path: string; size: number; sha256: string }>;
}

/** Builds the commit receipt; `isHashWrong` replaces the first file's sha256 with a wrong one. */
export function buildReceipt(pkg: StoredPackage, isHashWrong: boolean): Receipt {
  const files = pkg.manifest.files.map((file, index) => ({
    index,
    path: file.path,
    size: file.size,
    sha256: pkg.record.files[index]!.verifiedSha256 ?? '',
  }));
  if (isHashWrong && files[0]) {
    const first = files[0];
    first.sha256 = `${first.sha256.slice(0, -1)}${first.sha256.endsWith('0') ? '1' : '0'}`;
  }
  return {
    packageId: pkg.record.packageId,
    state: 'accepted',
    receiptId: pkg.record.receiptId!,
    acceptedAt: pkg.record.acceptedAt!,
    files,
  };
}

/**
 * Marks the connection to close once the response is sent. Responses sent before the body was read
 * use this, so a large unread upload body is not read to its end.
 */
export function closeAfterResponse(request: IncomingMessage, response: ServerResponse): void {
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (hasBody && !request.complete) {
    response.setHeader('Connection', 'close');
  }
}
