import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnifiedClient, UnifiedError, type UnifiedClientSettings } from '../../../src/adapters/unified/unified-client.js';

/* The 大统一2.0 HTTP client against a small local server that misbehaves on request. */

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let requests: IncomingMessage[];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests = [];
});

function client(overrides: Partial<UnifiedClientSettings> = {}): UnifiedClient {
  return new UnifiedClient(
    { baseUrl, token: 'client-test-token', unitCode: '320583', timeoutMs: 2000, maxAttempts: 3, retryBaseMs: 10, maxJsonBytes: 4096, ...overrides },
    pino({ level: 'silent' }),
  );
}

const lastPage = JSON.stringify({ items: [], nextCursor: null, syncToken: '2026-03-01T09:30:00+08:00' });

async function rejection(promise: Promise<unknown>): Promise<UnifiedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UnifiedError);
  return error as UnifiedError;
}

describe('UnifiedClient', () => {
  it('sends the token and the query', async () => {
    handler = (_request, response) => response.end(lastPage);
    const page = await client().fetchCasePage('2026-01-01T00:00:00+08:00', 'abc', 50);
    expect(page).toEqual({ items: [], nextCursor: null, syncToken: '2026-03-01T09:30:00+08:00' });
    const url = new URL(requests[0]!.url!, baseUrl);
    expect(requests[0]!.headers.authorization).toBe('Bearer client-test-token');
    expect(Object.fromEntries(url.searchParams)).toEqual({ dwbm: '320583', limit: '50', since: '2026-01-01T00:00:00+08:00', cursor: 'abc' });
  });

  it('retries 503 then succeeds', async () => {
    handler = (_request, response) => {
      if (requests.length < 3) response.writeHead(503).end('{"code":"BUSY","message":"busy"}');
      else response.end(lastPage);
    };
    await expect(client().fetchCasePage(null, null, 200)).resolves.toMatchObject({ syncToken: '2026-03-01T09:30:00+08:00' });
    expect(requests).toHaveLength(3);
  });

  it('gives up after three 500s', async () => {
    handler = (_request, response) => response.writeHead(500).end();
    const error = await rejection(client().fetchCasePage(null, null, 200));
    expect(error.message).toBe('大统一2.0 返回错误（HTTP 500，/api/v1/cases）。请稍后重试；若持续出现，请联系大统一2.0 维护方。');
    expect(requests).toHaveLength(3);
  });

  it('does not retry 401', async () => {
    handler = (_request, response) => response.writeHead(401).end();
    const error = await rejection(client().fetchHandlers());
    expect(error.message).toContain('TONGLU_UNIFIED_TOKEN');
    expect(requests).toHaveLength(1);
  });

  it('rejects a body over the limit', async () => {
    handler = (_request, response) => {
      response.write('{"items":["');
      response.end(`${'x'.repeat(10_000)}"],"nextCursor":null,"syncToken":"t"}`);
    };
    const error = await rejection(client().fetchCasePage(null, null, 200));
    expect(error.message).toBe('大统一2.0 返回的数据过大（超过 4096 字节）。');
    expect(error.retryable).toBe(false);
  });

  it('rejects a declared length over the limit', async () => {
    handler = (_request, response) => response.writeHead(200, { 'Content-Length': '100000' }).end('{}');
    const error = await rejection(client().fetchCasePage(null, null, 200));
    expect(error.message).toBe('大统一2.0 返回的数据过大（100000 字节，上限 4096 字节）。');
  });

  it('reports truncated JSON', async () => {
    handler = (_request, response) => response.end('{"items":[{"bmsah":"昆检');
    const error = await rejection(client().fetchCasePage(null, null, 200));
    expect(error.message).toBe('大统一2.0 返回的数据不是有效的 JSON（/api/v1/cases），可能传输中断。');
    expect(requests).toHaveLength(3);
  });

  it('reports a dropped connection', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'Content-Length': '500' });
      response.write('{"items":[');
      setTimeout(() => response.destroy(), 20);
    };
    const error = await rejection(client().fetchCasePage(null, null, 200));
    expect(error.message).toBe('读取大统一2.0 返回的数据时连接中断。');
  });

  it('times out a silent server', async () => {
    handler = () => undefined;
    const error = await rejection(client({ timeoutMs: 200, maxAttempts: 1 }).fetchHandlers());
    expect(error.message).toBe('连接大统一2.0 超时（0.2 秒）。');
    expect(error.retryable).toBe(true);
  });

  it('rejects a last page without syncToken', async () => {
    handler = (_request, response) => response.end('{"items":[],"nextCursor":null,"syncToken":null}');
    const error = await rejection(client().fetchCasePage(null, null, 200));
    expect(error.message).toBe('大统一2.0 返回的最后一页缺少 syncToken，无法记录同步位置。');
  });

  it('skips invalid dossier tree entries', async () => {
    const good = { wjbh: 'F1', jzmc: '诉讼卷', mlmc: '第一卷', wjmc: 'a.pdf', wjdx: 10, sha256: 'A'.repeat(64), gxsj: '2026-03-01T09:30:00+08:00' };
    handler = (_request, response) => response.end(JSON.stringify({ bmsah: 'x', files: [good, { ...good, wjbh: '../etc' }, { ...good, wjbh: 'F2', sha256: 'short' }] }));
    const files = await client().fetchDossierTree('x');
    expect(files).toEqual([{ wjbh: 'F1', jzmc: '诉讼卷', mlmc: '第一卷', wjmc: 'a.pdf', wjdx: 10, sha256: 'a'.repeat(64), versionAt: '2026-03-01T01:30:00.000Z' }]);
  });
});
