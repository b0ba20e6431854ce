import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { digestRequest, readBodyText, type DigestRequest } from '../../../src/adapters/nvr/digest-client.js';
import { NvrError } from '../../../src/adapters/nvr/nvr.types.js';
import { rejectionOf } from './nvr-test-helpers.js';

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

afterEach(async () => {
  for (const socket of sockets) {
    socket.destroy();
  }
  sockets.clear();
  for (const server of servers.splice(0)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function track(server: net.Server): void {
  servers.push(server);
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

/** Starts an HTTP server on 127.0.0.1 with the given handler and returns its port. */
async function startHttpServer(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Starts a raw TCP server that passes each connection to `onConnection`, for replies that http.Server cannot send. */
async function startTcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

function requestTo(port: number, overrides: Partial<DigestRequest> = {}): DigestRequest {
  return { host: '127.0.0.1', port, path: '/cgi-bin/test.cgi?action=x', username: 'admin', password: 'p@ss#1', ...overrides };
}

const hash = (algorithm: 'md5' | 'sha256', text: string): string => createHash(algorithm).update(text).digest('hex');

/** Verifies a Digest header the way a device would, for the given hash and qop=auth. */
function isValidDigest(header: string | undefined, method: string, algorithm: 'md5' | 'sha256', realm: string, password: string): boolean {
  if (!header?.startsWith('Digest ')) {
    return false;
  }
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params[match[1]!] = match[2] ?? match[3] ?? '';
  }
  const ha1 = hash(algorithm, `${params['username']}:${realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${params['uri']}`);
  const expected = hash(algorithm, `${ha1}:${params['nonce']}:${params['nc']}:${params['cnonce']}:${params['qop']}:${ha2}`);
  return params['response'] === expected;
}

describe('digestRequest authentication', () => {
  it('answers a SHA-256 challenge when offered beside MD5', async () => {
    const port = await startHttpServer((request, response) => {
      if (isValidDigest(request.headers.authorization, 'GET', 'sha256', 'r', 'p@ss#1')) {
        response.end('ok');
        return;
      }
      response.writeHead(401, [
        ['WWW-Authenticate', 'Digest realm="r", qop="auth", nonce="n1", algorithm=MD5'],
        ['WWW-Authenticate', 'Digest realm="r", qop="auth", nonce="n2", algorithm=SHA-256'],
      ]);
      response.end();
    });

    const response = await digestRequest(requestTo(port));

    expect(response.statusCode).toBe(200);
    expect(await readBodyText(response, { host: '127.0.0.1', port })).toBe('ok');
  });

  it('uses Basic only when the device offers nothing else', async () => {
    const port = await startHttpServer((request, response) => {
      const expected = `Basic ${Buffer.from('admin:p@ss#1').toString('base64')}`;
      if (request.headers.authorization === expected) {
        response.end('ok');
        return;
      }
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="old firmware"' });
      response.end();
    });

    const response = await digestRequest(requestTo(port));

    expect(response.statusCode).toBe(200);
  });

  it('retries once after a stale nonce', async () => {
    let requests = 0;
    const port = await startHttpServer((request, response) => {
      requests += 1;
      const isValid = isValidDigest(request.headers.authorization, 'GET', 'md5', 'r', 'p@ss#1');
      if (isValid && request.headers.authorization!.includes('nonce="fresh"')) {
        response.end('ok');
        return;
      }
      const nonce = requests === 1 ? 'old' : 'fresh';
      const stale = isValid ? ', stale=true' : '';
      response.writeHead(401, { 'WWW-Authenticate': `Digest realm="r", qop="auth", nonce="${nonce}"${stale}` });
      response.end();
    });

    const response = await digestRequest(requestTo(port));

    expect(response.statusCode).toBe(200);
    expect(requests).toBe(3);
  });

  it('rejects wrong credentials with NVR_AUTH_FAILED', async () => {
    const port = await startHttpServer((_request, response) => {
      response.writeHead(401, { 'WWW-Authenticate': 'Digest realm="r", qop="auth", nonce="n"' });
      response.end('Error\r\nInvalid Authority!\r\n');
    });

    const error = await rejectionOf(digestRequest(requestTo(port)));

    expect(error).toBeInstanceOf(NvrError);
    expect(error.code).toBe('NVR_AUTH_FAILED');
    expect(error.message).not.toContain('p@ss#1');
  });

  it('sends the request-target verbatim as the Digest uri', async () => {
    let seenUri = '';
    const port = await startHttpServer((request, response) => {
      if (request.headers.authorization) {
        seenUri = /uri="([^"]*)"/.exec(request.headers.authorization)?.[1] ?? '';
        response.end();
        return;
      }
      response.writeHead(401, { 'WWW-Authenticate': 'Digest realm="r", qop="auth", nonce="n"' });
      response.end();
    });
    const path = '/cgi-bin/loadfile.cgi?action=startLoad&startTime=2026-12-04%2020:00:00';

    await digestRequest(requestTo(port, { path }));

    expect(seenUri).toBe(path);
  });
});

describe('digestRequest bodies', () => {
  it('fails the body when fewer bytes than Content-Length arrive', async () => {
    const port = await startTcpServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
        socket.end(Buffer.alloc(400));
      });
    });

    const response = await digestRequest(requestTo(port));
    const error = await rejectionOf(readBodyText(response, { host: '127.0.0.1', port }));

    expect(error).toBeInstanceOf(NvrError);
    expect(error.code).toBe('NVR_BAD_RESPONSE');
    expect(error.message).toContain('已收到 400 字节，应为 1000 字节');
  });

  it('fails a chunked body that stops without its last chunk', async () => {
    const port = await startTcpServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n');
        setTimeout(() => socket.destroy(), 50);
      });
    });

    const response = await digestRequest(requestTo(port));
    const error = await rejectionOf(readBodyText(response, { host: '127.0.0.1', port }));

    expect(error).toBeInstanceOf(NvrError);
    expect(error.code).toBe('NVR_BAD_RESPONSE');
  });

  it('passes a complete body with Content-Length', async () => {
    const port = await startHttpServer((_request, response) => {
      response.writeHead(200, { 'Content-Length': '5' });
      response.end('hello');
    });

    const response = await digestRequest(requestTo(port));

    expect(await readBodyText(response, { host: '127.0.0.1', port })).toBe('hello');
  });
});

describe('digestRequest time limits', () => {
  it('times out when the response never starts', async () => {
    const port = await startTcpServer(() => undefined);

    const startedAt = Date.now();
    const error = await rejectionOf(digestRequest(requestTo(port, { timeouts: { responseMs: 300 } })));

    expect(error).toBeInstanceOf(NvrError);
    expect(error.code).toBe('NVR_TIMEOUT');
    expect(error.message).toContain('没有应答');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('times out when the body stalls', async () => {
    const port = await startTcpServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
        socket.write(Buffer.alloc(100));
      });
    });

    const response = await digestRequest(requestTo(port, { timeouts: { idleMs: 300 } }));
    const error = await rejectionOf(readBodyText(response, { host: '127.0.0.1', port }));

    expect(error).toBeInstanceOf(NvrError);
    expect(error.code).toBe('NVR_TIMEOUT');
    expect(error.message).toContain('已收到 100 字节');
  });

  it('rejects at once with an aborted signal', async () => {
    const port = await startTcpServer(() => undefined);
    const controller = new AbortController();
    controller.abort();

    const error = await rejectionOf(digestRequest(requestTo(port, { signal: controller.signal })));

    expect(error.name).toBe('AbortError');
  });

  it('rejects when the signal aborts while waiting for the response', async () => {
    const port = await startTcpServer(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);

    const error = await rejectionOf(digestRequest(requestTo(port, { signal: controller.signal })));

    expect(error.name).toBe('AbortError');
  });
});
