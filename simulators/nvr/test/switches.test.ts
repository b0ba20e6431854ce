import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startNvrSimulator, type NvrSimulator } from '../src/launch.js';
import {
  dahuaQueryTime,
  digestGet,
  findFiles,
  probeMedia,
  waitForRecording,
  type Credentials,
} from './helpers.js';

const credentials: Credentials = { username: 'admin', password: 'p@ss#1' };
let nvr: NvrSimulator;
let scratchDir: string;
let recordedFrom: Date;

beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'nvr-switch-test-'));
  nvr = await startNvrSimulator({ ...credentials });
  recordedFrom = new Date(Date.now() + 500);
  await waitForRecording(() => nvr.recordings(), new Date(recordedFrom.getTime() + 10_000));
});

afterAll(async () => {
  await nvr?.stop();
  await rm(scratchDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await nvr.reset();
});

function loadfilePath(from: Date, to: Date): string {
  return `/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=${dahuaQueryTime(from)}&endTime=${dahuaQueryTime(to)}`;
}

function at(offsetMs: number): Date {
  return new Date(recordedFrom.getTime() + offsetMs);
}

describe('offline', () => {
  it('drops HTTP requests without a response', async () => {
    await nvr.setState({ offline: true });

    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', credentials);

    expect(result.status).toBe(0);
    expect(result.error).not.toBeNull();
  });

  it('drops RTSP connections', async () => {
    await nvr.setState({ offline: true });

    const reply = await sendRtspOptions(nvr.rtspPort);

    expect(reply.text).toBe('');
    expect(reply.wasClosed).toBe(true);
  });

  it('serves again after the switch is off', async () => {
    await nvr.setState({ offline: true });
    await nvr.setState({ offline: false });

    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', credentials);

    expect(result.status).toBe(200);
  });
});

describe('wrongPassword', () => {
  it('rejects the configured credentials', async () => {
    await nvr.setState({ wrongPassword: true });

    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', credentials);

    expect(result.status).toBe(401);
  });
});

describe('slowBytesPerSec', () => {
  it('throttles loadfile bodies', async () => {
    const fast = await digestGet(nvr.baseUrl, loadfilePath(at(0), at(4_000)), credentials);
    await nvr.setState({ slowBytesPerSec: 100_000 });

    const slow = await digestGet(nvr.baseUrl, loadfilePath(at(0), at(4_000)), credentials);

    expect(slow.status).toBe(200);
    expect(slow.body.length).toBeGreaterThan(150_000);
    const minimumMs = (slow.body.length / 100_000) * 1000 * 0.8;
    expect(slow.elapsedMs).toBeGreaterThan(minimumMs);
    expect(fast.elapsedMs).toBeLessThan(minimumMs / 2);
  });

  it('throttles RTSP replies', async () => {
    await nvr.setState({ slowBytesPerSec: 50 });

    const reply = await sendRtspOptions(nvr.rtspPort);

    expect(reply.text).toMatch(/^RTSP\/1\.0 /);
    // The 401 reply of about 200 bytes at 50 bytes/s takes about 4 s.
    expect(reply.elapsedMs).toBeGreaterThan(1_000);
  });
});

describe('truncateAfterBytes', () => {
  it('drops the connection mid-body', async () => {
    await nvr.setState({ truncateAfterBytes: 5_000 });

    const result = await digestGet(nvr.baseUrl, loadfilePath(at(0), at(4_000)), credentials);

    expect(result.status).toBe(200);
    expect(result.body.length).toBe(5_000);
    expect(result.isComplete).toBe(false);
  });
});

describe('gaps', () => {
  it('leaves the gap out of loadfile and findFile', async () => {
    const gap = { from: at(3_000).toISOString(), to: at(7_000).toISOString() };
    await nvr.setState({ gaps: [gap] });

    const result = await digestGet(nvr.baseUrl, loadfilePath(at(1_000), at(9_000)), credentials);
    const items = await findFiles(nvr.baseUrl, credentials, at(0), at(9_000));

    expect(result.status).toBe(200);
    const clipPath = path.join(scratchDir, 'gap.ts');
    await writeFile(clipPath, result.body);
    const probe = await probeMedia(clipPath);
    // 8 s requested minus a 4 s gap at 10 frames/s: about 40 frames, plus up to one GOP at the start.
    expect(probe.packets).toBeGreaterThanOrEqual(36);
    expect(probe.packets).toBeLessThanOrEqual(52);
    expect(items.length).toBe(2);
  });

  it('returns 404 for an all-gap range', async () => {
    await nvr.setState({ gaps: [{ from: at(0).toISOString(), to: at(6_000).toISOString() }] });

    const result = await digestGet(nvr.baseUrl, loadfilePath(at(1_000), at(5_000)), credentials);

    expect(result.status).toBe(404);
  });
});

describe('clockOffsetMs', () => {
  it('shifts the reported device time', async () => {
    await nvr.setState({ clockOffsetMs: 3_600_000 });

    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', credentials);

    const text = /^result=(.+)\r\n$/.exec(result.body.toString())?.[1] ?? '';
    const deviceMs = Date.parse(`${text.replace(' ', 'T')}+08:00`);
    expect(Math.abs(deviceMs - (Date.now() + 3_600_000))).toBeLessThan(2_000);
  });

  it('reads requested times on the device clock', async () => {
    await nvr.setState({ clockOffsetMs: 3_600_000 });
    const shift = (date: Date): Date => new Date(date.getTime() + 3_600_000);

    const onDeviceClock = await digestGet(nvr.baseUrl, loadfilePath(shift(at(1_000)), shift(at(4_000))), credentials);
    const onRealClock = await digestGet(nvr.baseUrl, loadfilePath(at(1_000), at(4_000)), credentials);

    expect(onDeviceClock.status).toBe(200);
    // Real time minus one hour is before the simulator started.
    expect(onRealClock.status).toBe(404);
  });
});

/** Sends RTSP OPTIONS without credentials and collects the reply until the server closes or 5 s pass. */
function sendRtspOptions(port: number): Promise<{ text: string; wasClosed: boolean; elapsedMs: number }> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const finish = (wasClosed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, wasClosed, elapsedMs: Date.now() - startedAt });
    };
    const timer = setTimeout(() => finish(false), 5_000);
    socket.on('connect', () => socket.write(`OPTIONS rtsp://127.0.0.1:${port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
    socket.on('data', (data) => {
      text += data.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        finish(false);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}
