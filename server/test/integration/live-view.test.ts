import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { roomFor, startTestNvr, type NvrSimulator } from '../helpers/nvr-simulator.js';

let nvr: NvrSimulator;
let t: TestApp;
let baseUrl: string;

beforeAll(async () => {
  nvr = await startTestNvr();
  t = await createTestApp({}, roomFor(nvr));
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  baseUrl = typeof address === 'object' && address ? `127.0.0.1:${address.port}` : '';
});

afterAll(async () => {
  await t?.close();
  await nvr?.stop();
});

interface LiveResult {
  status?: number;
  init?: { type: string; mime: string };
  firstBinary?: Buffer;
  binaryCount: number;
}

/** Opens the live view and collects messages for a few seconds, or returns the HTTP status of a refused upgrade. */
function watch(cookie: string, roomId: number, durationMs: number): Promise<LiveResult> {
  return new Promise((resolve) => {
    const result: LiveResult = { binaryCount: 0 };
    const socket = new WebSocket(`ws://${baseUrl}/api/rooms/${roomId}/live`, { headers: { cookie } });
    socket.on('unexpected-response', (_request, response) => {
      result.status = response.statusCode;
      resolve(result);
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        result.init ??= JSON.parse(data.toString());
        return;
      }
      result.binaryCount += 1;
      result.firstBinary ??= data as Buffer;
    });
    socket.on('open', () => setTimeout(() => socket.close(), durationMs));
    socket.on('close', () => resolve(result));
    socket.on('error', () => resolve(result));
  });
}

describe('live view', () => {
  it('streams fMP4 to the room PC without re-encoding', async () => {
    const cookie = await t.login('zhangming');
    const result = await watch(cookie, 1, 6_000);
    expect(result.status).toBeUndefined();
    expect(result.init?.type).toBe('init');
    expect(result.init?.mime).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
    expect(result.firstBinary?.toString('latin1', 4, 8)).toBe('ftyp');
    expect(result.binaryCount).toBeGreaterThan(5);
  });

  it('refuses an officer on another PC', async () => {
    // Every real socket here comes from 127.0.0.1, the room PC, so another PC is simulated with inject.
    const cookie = await t.login('lihua');
    const response = await t.app.inject({ method: 'GET', url: '/api/rooms/1/live', headers: { cookie }, remoteAddress: '127.0.0.20' });
    expect(response.statusCode).toBe(404);
  });

  it('refuses a visitor without login', async () => {
    const result = await watch('', 1, 500);
    expect(result.status).toBe(401);
  });
});
