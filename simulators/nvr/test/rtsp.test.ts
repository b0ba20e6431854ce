import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startNvrSimulator, type NvrSimulator } from '../src/launch.js';
import {
  encodeRtspCredentials,
  formatDeviceTime,
  probeMedia,
  runCommand,
  waitForRecording,
  type Credentials,
} from './helpers.js';

// The password has the characters that must be percent-encoded in an RTSP URL.
const credentials: Credentials = { username: 'admin', password: 'p@ss#1:x' };
let nvr: NvrSimulator;
let scratchDir: string;
let recordedFrom: Date;

beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'nvr-rtsp-test-'));
  nvr = await startNvrSimulator({ ...credentials });
  recordedFrom = new Date(Date.now() + 1_000);
});

afterAll(async () => {
  await nvr?.stop();
  await rm(scratchDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await nvr.reset();
});

function rtspUrl(pathAndQuery: string, user: Credentials | null = credentials): string {
  const userInfo = user ? `${encodeRtspCredentials(user)}@` : '';
  return `rtsp://${userInfo}127.0.0.1:${nvr.rtspPort}${pathAndQuery}`;
}

/** Pulls `seconds` of an RTSP URL over TCP with `-c copy` into an MP4 file. */
async function pull(url: string, seconds: number, outputName: string) {
  const outputPath = path.join(scratchDir, outputName);
  const result = await runCommand(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', url, '-t', String(seconds), '-c', 'copy', outputPath],
    60_000,
  );
  return { ...result, outputPath };
}

function dahuaRtspTime(date: Date): string {
  return formatDeviceTime(date).replace(/[- :]/g, '_');
}

function hikvisionRtspTime(date: Date): string {
  return `${formatDeviceTime(date).replace(/[-:]/g, '').replace(' ', 'T')}Z`;
}

describe('live', () => {
  it('streams the Dahua live URL', async () => {
    const result = await pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0'), 3, 'live-dahua.mp4');

    expect(result.exitCode, result.stderr).toBe(0);
    const probe = await probeMedia(result.outputPath);
    expect(probe.codec).toBe('h264');
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThan(0.5);
  });

  it('streams the Hikvision live URL', async () => {
    const result = await pull(rtspUrl('/Streaming/Channels/101'), 2, 'live-hikvision.mp4');

    expect(result.exitCode, result.stderr).toBe(0);
    expect((await probeMedia(result.outputPath)).codec).toBe('h264');
  });

  it('serves two clients at once from one media', async () => {
    const [first, second] = await Promise.all([
      pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0'), 2, 'live-a.mp4'),
      pull(rtspUrl('/Streaming/Channels/101'), 2, 'live-b.mp4'),
    ]);

    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    expect((await probeMedia(first.outputPath)).packets).toBeGreaterThanOrEqual(15);
    expect((await probeMedia(second.outputPath)).packets).toBeGreaterThanOrEqual(15);
  });

  it('rejects an unknown channel', async () => {
    const result = await pull(rtspUrl('/cam/realmonitor?channel=5&subtype=0'), 1, 'live-channel5.mp4');

    expect(result.exitCode).not.toBe(0);
  });
});

describe('playback', () => {
  it('plays a Dahua time range at real time', async () => {
    const from = new Date(recordedFrom.getTime() + 1_000);
    const to = new Date(from.getTime() + 4_000);
    await waitForRecording(() => nvr.recordings(), to);

    const url = rtspUrl(`/cam/playback?channel=1&starttime=${dahuaRtspTime(from)}&endtime=${dahuaRtspTime(to)}`);
    const result = await pull(url, 4, 'playback-dahua.mp4');

    expect(result.exitCode, result.stderr).toBe(0);
    const probe = await probeMedia(result.outputPath);
    expect(Math.abs(probe.durationSeconds - 4)).toBeLessThan(1);
    // Real time: four seconds of video take about four seconds to arrive.
    expect(result.elapsedMs).toBeGreaterThan(3_000);
  });

  it('plays a Hikvision time range', async () => {
    const from = new Date(recordedFrom.getTime() + 1_000);
    const to = new Date(from.getTime() + 3_000);
    await waitForRecording(() => nvr.recordings(), to);

    const url = rtspUrl(`/Streaming/tracks/101?starttime=${hikvisionRtspTime(from)}&endtime=${hikvisionRtspTime(to)}`);
    const result = await pull(url, 3, 'playback-hikvision.mp4');

    expect(result.exitCode, result.stderr).toBe(0);
    expect(Math.abs((await probeMedia(result.outputPath)).durationSeconds - 3)).toBeLessThan(1);
  });

  it('fails for a range without recording', async () => {
    const from = new Date(Date.now() + 3_600_000);
    const to = new Date(from.getTime() + 10_000);
    const url = rtspUrl(`/cam/playback?channel=1&starttime=${dahuaRtspTime(from)}&endtime=${dahuaRtspTime(to)}`);

    const result = await pull(url, 2, 'playback-future.mp4');

    expect(result.exitCode).not.toBe(0);
  });
});

describe('authentication', () => {
  it('rejects missing credentials', async () => {
    const result = await pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0', null), 1, 'no-credentials.mp4');

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('401 Unauthorized');
  });

  it('rejects a wrong password', async () => {
    const wrong = { username: 'admin', password: 'wrong' };
    const result = await pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0', wrong), 1, 'wrong-password.mp4');

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('401 Unauthorized');
  });

  it('rejects the old password after a change', async () => {
    await nvr.setState({ wrongPassword: true });

    const result = await pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0'), 1, 'changed-password.mp4');

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('401 Unauthorized');
  });

  it('accepts the password again after the switch is off', async () => {
    await nvr.setState({ wrongPassword: true });
    await nvr.setState({ wrongPassword: false });

    const result = await pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0'), 1, 'restored-password.mp4');

    expect(result.exitCode, result.stderr).toBe(0);
  });
});

describe('offline', () => {
  it('fails an RTSP pull at once', async () => {
    await nvr.setState({ offline: true });

    const result = await pull(rtspUrl('/cam/realmonitor?channel=1&subtype=0'), 1, 'offline.mp4');

    expect(result.exitCode).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(5_000);
  });
});
