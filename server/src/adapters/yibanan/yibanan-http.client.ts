import { createReadStream } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/** One file of a package as the receiver reports it (GET /api/v1/packages/{id}). */
export interface ReceiverFileStatus {
  index: number;
  path: string;
  size: number;
  received: number;
  complete: boolean;
}

export interface ReceiverPackageStatus {
  packageId: string;
  state: 'receiving' | 'accepted';
  receiptId: string | null;
  files: ReceiverFileStatus[];
}

export interface ReceiverReceipt {
  state: 'accepted';
  receiptId: string;
  files: { path: string; sha256: string }[];
}

export type ChunkResult =
  /** 204: the receiver now has `offset` bytes of the file. */
  | { kind: 'accepted'; offset: number }
  /** 409: our Upload-Offset differs from the receiver's, which is `offset` when the response includes it. */
  | { kind: 'offset-mismatch'; offset: number | null }
  /** 422: the completed file failed the receiver's size or SHA-256 check and was discarded. */
  | { kind: 'file-rejected'; message: string };

/** A non-2xx response of the receiver other than the ones an upload step expects. */
export class YibananHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    readonly receiverMessage: string | null,
    operation: string,
  ) {
    super(`${operation} answered HTTP ${status}${code ? ` ${code}` : ''}`);
    this.name = 'YibananHttpError';
  }
}

/** Code of a YibananTransportError raised because the chunk could not be read from local storage. */
export const LOCAL_READ_FAILED = 'LOCAL_READ_FAILED';

/** The receiver could not be reached, the connection broke, or its response does not follow the contract. */
export class YibananTransportError extends Error {
  /** The socket error code (ECONNREFUSED, ETIMEDOUT, ECONNRESET…), or null when there is none. */
  readonly code: string | null;

  constructor(
    message: string,
    readonly isBadResponse = false,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.name = 'YibananTransportError';
    this.code = options?.code ?? (options?.cause as NodeJS.ErrnoException | undefined)?.code ?? null;
  }
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Response bodies are small JSON documents. Anything longer is cut here, so a broken receiver cannot fill memory. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * HTTP client of the 易办案 receiver (docs/integrations/README.md, section 2). Chunk bodies are streamed from disk,
 * so memory use does not depend on file size. The token goes only into the Authorization header.
 */
export class YibananHttpClient {
  private readonly baseUrl: string;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    baseUrl: string,
    private readonly token: string,
    /** Milliseconds without any socket activity before a request is abandoned. */
    private readonly idleTimeoutMs = 60_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** PUT the manifest. Returns whether the receiver created the package (201) or knew it already (200). */
  async announce(packageId: string, manifest: Buffer, signal: AbortSignal): Promise<{ isNew: boolean; status: ReceiverPackageStatus }> {
    const response = await this.send('PUT', this.packagePath(packageId), {
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(manifest.length) },
      body: manifest,
      signal,
    });
    if (response.status !== 200 && response.status !== 201) throw toHttpError(response, 'PUT manifest');
    return { isNew: response.status === 201, status: parseStatus(response.text) };
  }

  /** GET the package's status, or null when the receiver does not know the package. */
  async getStatus(packageId: string, signal: AbortSignal): Promise<ReceiverPackageStatus | null> {
    const response = await this.send('GET', this.packagePath(packageId), { signal });
    if (response.status === 404) return null;
    if (response.status !== 200) throw toHttpError(response, 'GET package status');
    return parseStatus(response.text);
  }

  /**
   * PATCH bytes [offset, offset + length) of a file, streamed from `filePath`. `onRead` gets the count of chunk bytes
   * read from disk into the request so far, which runs ahead of the receiver by at most the socket buffers.
   */
  async sendChunk(
    packageId: string,
    index: number,
    filePath: string,
    offset: number,
    length: number,
    signal: AbortSignal,
    onRead?: (bytes: number) => void,
  ): Promise<ChunkResult> {
    const body = createReadStream(filePath, { start: offset, end: offset + length - 1, highWaterMark: 64 * 1024 });
    if (onRead) {
      let read = 0;
      body.on('data', (data: Buffer | string) => {
        read += data.length;
        onRead(read);
      });
    }
    const response = await this.send('PATCH', `${this.packagePath(packageId)}/files/${index}`, {
      headers: { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), 'Content-Length': String(length) },
      body,
      signal,
    });
    if (response.status === 204) {
      const newOffset = Number(response.headers['upload-offset']);
      if (!Number.isSafeInteger(newOffset)) throw new YibananTransportError('PATCH response 204 has no valid Upload-Offset', true);
      return { kind: 'accepted', offset: newOffset };
    }
    if (response.status === 409) {
      const header = Number(response.headers['upload-offset']);
      return { kind: 'offset-mismatch', offset: Number.isSafeInteger(header) ? header : null };
    }
    if (response.status === 422) return { kind: 'file-rejected', message: readErrorBody(response.text).message ?? '' };
    throw toHttpError(response, 'PATCH chunk');
  }

  async commit(packageId: string, signal: AbortSignal): Promise<ReceiverReceipt> {
    const response = await this.send('POST', `${this.packagePath(packageId)}/commit`, { headers: { 'Content-Length': '0' }, body: Buffer.alloc(0), signal });
    if (response.status !== 200) throw toHttpError(response, 'POST commit');
    return parseReceipt(response.text);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private packagePath(packageId: string): string {
    return `/api/v1/packages/${encodeURIComponent(packageId)}`;
  }

  private send(method: string, pathname: string, options: { headers?: Record<string, string>; body?: Buffer | Readable; signal: AbortSignal }): Promise<RawResponse> {
    const url = new URL(this.baseUrl + pathname);
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    const { body, signal } = options;

    return new Promise<RawResponse>((resolve, reject) => {
      const request = transport.request(url, {
        method,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...options.headers },
        signal,
      });

      request.setTimeout(this.idleTimeoutMs, () => {
        request.destroy(new YibananTransportError(`timed out after ${this.idleTimeoutMs / 1000} s without a response`, false, { code: 'ETIMEDOUT' }));
      });
      request.on('error', (error) => {
        if (signal.aborted) reject(error);
        else reject(error instanceof YibananTransportError ? error : new YibananTransportError(describeSocketError(error), false, { cause: error }));
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        response.on('error', (error) => reject(new YibananTransportError(describeSocketError(error), false, { cause: error })));
        response.on('end', () => {
          // The receiver may respond (409, 422) before it read the whole chunk, and then the connection cannot be reused.
          if (!request.writableFinished) request.destroy();
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      });

      if (body === undefined) {
        request.end();
      } else if (Buffer.isBuffer(body)) {
        request.end(body);
      } else {
        body.on('error', (error) => request.destroy(new YibananTransportError(`reading the local file failed: ${error.message}`, false, { cause: error, code: LOCAL_READ_FAILED })));
        body.pipe(request);
      }
    });
  }
}

function describeSocketError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code}: ${error.message}` : error.message;
}

function readErrorBody(text: string): { code: string | null; message: string | null } {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    return { code: typeof body.code === 'string' ? body.code : null, message: typeof body.message === 'string' ? body.message.slice(0, 300) : null };
  } catch {
    return { code: null, message: null };
  }
}

function toHttpError(response: RawResponse, operation: string): YibananHttpError {
  const { code, message } = readErrorBody(response.text);
  return new YibananHttpError(response.status, code, message, operation);
}

function parseJson(text: string, label: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below with the same message as a non-object body.
  }
  throw new YibananTransportError(`${label} is not a JSON object`, true);
}

function parseStatus(text: string): ReceiverPackageStatus {
  const body = parseJson(text, 'package status');
  const files = body.files;
  if ((body.state !== 'receiving' && body.state !== 'accepted') || !Array.isArray(files)) {
    throw new YibananTransportError('package status lacks state or files', true);
  }
  const parsed = files.map((file: unknown, position): ReceiverFileStatus => {
    const item = file as Record<string, unknown>;
    const received = Number(item?.received);
    const size = Number(item?.size);
    if (!Number.isSafeInteger(received) || received < 0 || !Number.isSafeInteger(size)) {
      throw new YibananTransportError(`package status file ${position} lacks size or received`, true);
    }
    return { index: Number(item.index ?? position), path: String(item.path ?? ''), size, received, complete: item.complete === true };
  });
  return { packageId: String(body.packageId ?? ''), state: body.state, receiptId: typeof body.receiptId === 'string' ? body.receiptId : null, files: parsed };
}

function parseReceipt(text: string): ReceiverReceipt {
  const body = parseJson(text, 'commit receipt');
  if (body.state !== 'accepted' || typeof body.receiptId !== 'string' || !body.receiptId || !Array.isArray(body.files)) {
    throw new YibananTransportError('commit receipt lacks state, receiptId or files', true);
  }
  const files = body.files.map((file: unknown) => {
    const item = file as Record<string, unknown>;
    return { path: String(item?.path ?? ''), sha256: String(item?.sha256 ?? '') };
  });
  return { state: 'accepted', receiptId: body.receiptId, files };
}
