import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startNvrSimulator, type NvrSimulator } from '../src/launch.js';
import {
  dahuaQueryTime,
  digestGet,
  findFiles,
  formatDeviceTime,
  probeMedia,
  waitForRecording,
  type Credentials,
} from './helpers.js';

const credentials: Credentials = { username: 'admin', password: 'p@ss#1:x' };
let nvr: NvrSimulator;
let scratchDir: string;
let startedAt: Date;

beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'nvr-http-test-'));
  startedAt = new Date();
  nvr = await startNvrSimulator({ ...credentials });
});

afterAll(async () => {
  await nvr?.stop();
  await rm(scratchDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await nvr.reset();
});

describe('digest authentication', () => {
  it('challenges a request without credentials', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime');

    expect(result.status).toBe(401);
    expect(result.headers['www-authenticate']).toMatch(/^Digest realm="[^"]+", qop="auth", nonce="[0-9a-f]+"/);
  });

  it('rejects a wrong password', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', {
      username: 'admin',
      password: 'wrong',
    });

    expect(result.status).toBe(401);
  });

  it('rejects a wrong user name', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', {
      username: 'guest',
      password: credentials.password,
    });

    expect(result.status).toBe(401);
  });

  it('rejects Basic credentials', async () => {
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    const response = await fetch(`${nvr.baseUrl}/cgi-bin/global.cgi?action=getCurrentTime`, {
      headers: { Authorization: `Basic ${basic}` },
    });

    expect(response.status).toBe(401);
  });

  it('accepts the right credentials', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/magicBox.cgi?action=getDeviceType', credentials);

    expect(result.status).toBe(200);
    expect(result.body.toString()).toMatch(/^type=\S+\r\n$/);
  });
});

describe('device information', () => {
  it('returns the current time in UTC+8', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/global.cgi?action=getCurrentTime', credentials);

    const match = /^result=(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\r\n$/.exec(result.body.toString());
    expect(match).not.toBeNull();
    const deviceMs = Date.parse(`${match![1]!.replace(' ', 'T')}+08:00`);
    expect(Math.abs(deviceMs - Date.now())).toBeLessThan(2_000);
  });

  it('returns system information', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/magicBox.cgi?action=getSystemInfo', credentials);

    expect(result.status).toBe(200);
    expect(result.body.toString()).toMatch(/serialNumber=\S+\r\n/);
    expect(result.body.toString()).toMatch(/deviceType=\S+\r\n/);
  });

  it('returns the ISAPI time with its UTC offset', async () => {
    const result = await digestGet(nvr.baseUrl, '/ISAPI/System/time', credentials);

    expect(result.status).toBe(200);
    const localTime = /<localTime>([^<]+)<\/localTime>/.exec(result.body.toString())?.[1];
    expect(localTime).toMatch(/\+08:00$/);
    expect(Math.abs(Date.parse(localTime!) - Date.now())).toBeLessThan(2_000);
    expect(result.body.toString()).toContain('<timeZone>CST-8:00:00</timeZone>');
  });
});

describe('loadfile.cgi', () => {
  it('streams a clip whose duration matches the range', async () => {
    const from = new Date(startedAt.getTime() + 1_000);
    const to = new Date(from.getTime() + 6_000);
    await waitForRecording(() => nvr.recordings(), to);

    const result = await digestGet(nvr.baseUrl, loadfilePath(from, to), credentials);

    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('Application/octet-stream');
    const clipPath = path.join(scratchDir, 'clip.ts');
    await writeFile(clipPath, result.body);
    const probe = await probeMedia(clipPath);
    expect(probe.codec).toBe('h264');
    expect(Math.abs(probe.durationSeconds - 6)).toBeLessThan(1);
  });

  it('rejects a malformed start time', async () => {
    const result = await digestGet(
      nvr.baseUrl,
      '/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=2026-13-01%2000:00:00&endTime=2026-12-04%2020:01:00',
      credentials,
    );

    expect(result.status).toBe(400);
    expect(result.body.toString()).toContain('startTime');
  });

  it('rejects an end before the start', async () => {
    const from = new Date(Date.now() - 10_000);
    const result = await digestGet(nvr.baseUrl, loadfilePath(from, new Date(from.getTime() - 1_000)), credentials);

    expect(result.status).toBe(400);
    expect(result.body.toString()).toContain('endTime must be later');
  });

  it('rejects an unknown channel', async () => {
    const from = new Date(Date.now() - 10_000);
    const result = await digestGet(nvr.baseUrl, loadfilePath(from, new Date(from.getTime() + 2_000), 2), credentials);

    expect(result.status).toBe(400);
    expect(result.body.toString()).toContain('channel');
  });

  it('returns 404 for a range in the future', async () => {
    const from = new Date(Date.now() + 3_600_000);
    const result = await digestGet(nvr.baseUrl, loadfilePath(from, new Date(from.getTime() + 60_000)), credentials);

    expect(result.status).toBe(404);
  });

  it('returns 404 for a range before the recording', async () => {
    const from = new Date(startedAt.getTime() - 3_600_000);
    const result = await digestGet(nvr.baseUrl, loadfilePath(from, new Date(from.getTime() + 60_000)), credentials);

    expect(result.status).toBe(404);
  });
});

describe('mediaFileFind.cgi', () => {
  it('lists the recording as one continuous file', async () => {
    const to = new Date(Date.now() - 1_000);
    const from = new Date(to.getTime() - 600_000);

    const items = await findFiles(nvr.baseUrl, credentials, from, to);

    expect(items).toHaveLength(1);
    expect(items[0]!['Channel']).toBe('1');
    expect(items[0]!['Type']).toBe('dav');
    const startText = items[0]!['StartTime']!;
    expect(startText >= formatDeviceTime(new Date(startedAt.getTime() - 2_000))).toBe(true);
    expect(items[0]!['EndTime']! >= formatDeviceTime(new Date(to.getTime() - 4_000))).toBe(true);
  });

  it('rejects findNextFile for an unknown object', async () => {
    const result = await digestGet(nvr.baseUrl, '/cgi-bin/mediaFileFind.cgi?action=findNextFile&object=1&count=100', credentials);

    expect(result.status).toBe(400);
  });
});

describe('control API', () => {
  it('rejects an unknown state field', async () => {
    const response = await fetch(`${nvr.baseUrl}/__sim/state`, { method: 'POST', body: JSON.stringify({ colour: 'red' }) });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('colour');
  });

  it('rejects a gap whose end precedes its start', async () => {
    const response = await fetch(`${nvr.baseUrl}/__sim/state`, {
      method: 'POST',
      body: JSON.stringify({ gaps: [{ from: '2026-12-04T12:00:10Z', to: '2026-12-04T12:00:00Z' }] }),
    });

    expect(response.status).toBe(400);
  });
});

function loadfilePath(from: Date, to: Date, channel = 1): string {
  return (
    `/cgi-bin/loadfile.cgi?action=startLoad&channel=${channel}` +
    `&startTime=${dahuaQueryTime(from)}&endTime=${dahuaQueryTime(to)}&subtype=0`
  );
}
