/**
 * The 大统一2.0 API (docs/integrations/README.md, section 1) behind Bearer authentication, with the
 * misbehaviour switches of sim-state.ts applied to every request.
 */
import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import type { DataStore } from './data-store.js';
import { sleep } from './http-util.js';
import { describeError, log } from './log.js';
import { applyItemDefects, truncateJson } from './malformed.js';
import { decodePageKey, encodePageKey, START_KEY, type PageKey } from './page-token.js';
import type { MalformedKind, SimState } from './sim-state.js';
import type { RequestStats } from './stats.js';

/** Simulator state and services that the API handlers use. */
export interface ApiContext {
  readonly token: string;
  readonly dwbm: string;
  readonly store: DataStore;
  readonly stats: RequestStats;
  state(): SimState;
  /** Counts an API request against errorEvery and returns whether it gets the simulated error. */
  isErrorDue(): boolean;
  /** Returns the defects for the next case page and counts the page against malformedPages. */
  takeMalformedKinds(): MalformedKind[];
}

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 500;
const FILE_ROUTE = /^\/api\/v1\/dossier\/files\/([^/]+)\/content$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  txt: 'text/plain; charset=utf-8',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ApiServer {
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly context: ApiContext) {}

  get port(): number {
    return this.boundPort;
  }

  /** Listens on 127.0.0.1. Port 0 picks a free port the first time, and later calls reuse it. */
  async listen(port: number = this.boundPort): Promise<number> {
    const server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        log('error', 'API request failed', { url: request.url, error: describeError(error) });
        if (!response.headersSent) {
          this.sendJsonBody(response, 500, { code: 'INTERNAL_ERROR', message: 'Internal simulator error.' });
        } else {
          response.destroy();
        }
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.boundPort;
  }

  /** Stops listening and destroys open connections, so new connections are refused. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === null) {
      return;
    }
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const fileMatch = FILE_ROUTE.exec(url.pathname);
    const routePath = fileMatch ? '/api/v1/dossier/files/{wjbh}/content' : url.pathname;
    this.context.stats.track(`${method} ${routePath}`, response);

    const state = this.context.state();
    if (state.slowMs !== null) {
      await sleep(state.slowMs);
    }
    if (state.errorStatus !== null && this.context.isErrorDue()) {
      const headers = state.errorStatus === 503 || state.errorStatus === 429 ? { 'Retry-After': '1' } : {};
      this.sendJsonBody(response, state.errorStatus, { code: 'SIMULATED_ERROR', message: `Simulated HTTP ${state.errorStatus} response.` }, headers);
      return;
    }
    if (!this.isAuthorized(request.headers.authorization)) {
      this.sendJsonBody(response, 401, { code: 'UNAUTHORIZED', message: 'The Bearer token is missing or invalid.' }, { 'WWW-Authenticate': 'Bearer' });
      return;
    }

    try {
      if (method !== 'GET' && !(method === 'HEAD' && fileMatch)) {
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}.`);
      }
      if (fileMatch) {
        this.sendFile(request, response, decodeURIComponent(fileMatch[1]!));
        return;
      }
      switch (url.pathname) {
        case '/api/v1/cases':
          this.sendCasePage(response, url.searchParams);
          return;
        case '/api/v1/handlers':
          this.requireOwnUnit(url.searchParams);
          this.sendJsonBody(response, 200, { items: this.context.store.listHandlers() });
          return;
        case '/api/v1/dossier':
          this.sendDossier(response, url.searchParams);
          return;
        default:
          throw new ApiError(404, 'NOT_FOUND', `${url.pathname} is not part of the 大统一2.0 API.`);
      }
    } catch (error) {
      if (error instanceof ApiError) {
        log('debug', 'Rejected an API request', { method, url: request.url, status: error.status, code: error.code });
        this.sendJsonBody(response, error.status, { code: error.code, message: error.message });
        return;
      }
      throw error;
    }
  }

  private isAuthorized(header: string | undefined): boolean {
    const expected = Buffer.from(`Bearer ${this.context.token}`, 'utf8');
    const actual = Buffer.from(header ?? '', 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  private requireOwnUnit(query: URLSearchParams): void {
    const dwbm = query.get('dwbm');
    if (dwbm === null || dwbm === '') {
      throw new ApiError(400, 'MISSING_DWBM', 'The query parameter dwbm (单位编码) is required.');
    }
    if (dwbm !== this.context.dwbm) {
      throw new ApiError(403, 'FORBIDDEN_DWBM', `The token may read unit ${this.context.dwbm} only, not ${dwbm}.`);
    }
  }

  private sendCasePage(response: ServerResponse, query: URLSearchParams): void {
    this.requireOwnUnit(query);
    const limit = readLimit(query.get('limit'));
    const cursor = query.get('cursor');
    const since = query.get('since');
    let after: PageKey | null = null;
    if (cursor !== null && cursor !== '') {
      after = decodePageKey(cursor);
      if (after === null) {
        throw new ApiError(400, 'INVALID_CURSOR', 'The cursor is not one this server returned. Start again without cursor.');
      }
    } else if (since !== null && since !== '') {
      after = readSince(since);
    }

    const page = this.context.store.page(this.context.dwbm, after, limit);
    const lastKey = page.lastKey ?? after ?? START_KEY;
    const body = {
      items: page.items,
      nextCursor: page.hasMore ? encodePageKey(lastKey) : null,
      syncToken: page.hasMore ? null : encodePageKey(lastKey),
    };

    const kinds = this.context.takeMalformedKinds();
    const firstItem = body.items[0];
    if (firstItem !== undefined) {
      applyItemDefects(firstItem as unknown as Record<string, unknown>, kinds);
    }
    const text = JSON.stringify(body);
    this.sendBody(response, 200, { 'Content-Type': 'application/json; charset=utf-8' }, Buffer.from(kinds.includes('bad-json') ? truncateJson(text) : text, 'utf8'));
  }

  private sendDossier(response: ServerResponse, query: URLSearchParams): void {
    const bmsah = query.get('bmsah');
    if (bmsah === null || bmsah.trim() === '') {
      throw new ApiError(400, 'MISSING_BMSAH', 'The query parameter bmsah (部门受案号) is required.');
    }
    const found = this.context.store.findCase(bmsah);
    if (found === null) {
      throw new ApiError(404, 'CASE_NOT_FOUND', `No case has the 部门受案号 ${bmsah}.`);
    }
    this.sendJsonBody(response, 200, { bmsah: found.record.bmsah, files: found.files });
  }

  private sendFile(request: IncomingMessage, response: ServerResponse, wjbh: string): void {
    const found = this.context.store.fileContent(wjbh);
    if (found === null) {
      throw new ApiError(404, 'FILE_NOT_FOUND', `No dossier file has the 文件编号 ${wjbh}.`);
    }
    const { file, content } = found;
    const extension = file.wjmc.slice(file.wjmc.lastIndexOf('.') + 1).toLowerCase();
    const headers: OutgoingHttpHeaders = {
      'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${file.sha256}"`,
    };

    const range = parseRange(request.headers.range, content.length);
    if (range === 'unsatisfiable') {
      this.sendJsonBody(response, 416, { code: 'RANGE_NOT_SATISFIABLE', message: `The file has ${content.length} bytes.` }, {
        'Content-Range': `bytes */${content.length}`,
      });
      return;
    }
    const isHead = request.method === 'HEAD';
    if (range === null) {
      this.sendBody(response, 200, headers, content, isHead);
      return;
    }
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${content.length}`;
    this.sendBody(response, 206, headers, content.subarray(range.start, range.end + 1), isHead);
  }

  private sendJsonBody(response: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.sendBody(response, status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, Buffer.from(JSON.stringify(body), 'utf8'));
  }

  /**
   * Sends a complete response, or with dropAfterBytes set, the headers (announcing the full length)
   * and the first N body bytes, and then destroys the socket.
   */
  private sendBody(response: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer, isHead = false): void {
    response.writeHead(status, { ...headers, 'Content-Length': body.length });
    if (isHead) {
      response.end();
      return;
    }
    const dropAfterBytes = this.context.state().dropAfterBytes;
    if (dropAfterBytes === null || dropAfterBytes >= body.length) {
      response.end(body);
      return;
    }
    response.flushHeaders();
    response.write(body.subarray(0, dropAfterBytes), () => response.socket?.destroy());
  }
}

function readLimit(text: string | null): number {
  if (text === null || text === '') {
    return DEFAULT_LIMIT;
  }
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > MAX_LIMIT) {
    throw new ApiError(400, 'INVALID_LIMIT', `limit ${text} is invalid. Expected an integer from 1 to ${MAX_LIMIT}.`);
  }
  return limit;
}

/**
 * Reads `since`: a syncToken from an earlier last page, or for a first pull from a chosen moment,
 * an ISO 8601 time (cases with a later gxsj follow).
 */
function readSince(since: string): PageKey {
  const key = decodePageKey(since);
  if (key !== null) {
    return key;
  }
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(since) ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ApiError(400, 'INVALID_SINCE', 'since must be the syncToken of an earlier pull or an ISO 8601 time.');
  }
  // U+FFFF sorts after every character of a 部门受案号, so every case at exactly this time is excluded.
  return { gxsjMs: ms, bmsah: '\uffff' };
}

/** Parses a single `bytes=` range. Returns null, meaning the whole file, for a missing or unsupported Range header. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (header === undefined) {
    return null;
  }
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    return null;
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffixLength = Number(match[2]);
    if (suffixLength === 0) {
      return 'unsatisfiable';
    }
    start = Math.max(0, size - suffixLength);
    end = size - 1;
  } else {
    start = Number(match[1]);
    if (match[2] !== '' && Number(match[2]) < start) {
      // A last position before the first is an invalid range, which RFC 9110 lets the server ignore.
      return null;
    }
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    return 'unsatisfiable';
  }
  return { start, end };
}
