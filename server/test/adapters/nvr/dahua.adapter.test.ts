import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DahuaAdapter } from '../../../src/adapters/nvr/dahua.adapter.js';
import { NvrError } from '../../../src/adapters/nvr/nvr.types.js';
import { NVR_PASSWORD, startTestNvr, type NvrSimulator } from '../../helpers/nvr-simulator.js';
import {
  connectionTo,
  probeMedia,
  pullRtsp,
  rejectionOf,
  saveStream,
  waitForRecording,
} from './nvr-test-helpers.js';

const adapter = new DahuaAdapter();
let nvr: NvrSimulator;
let scratchDir: string;
let recordedFrom: Date;
let closedPort: number;

beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'dahua-adapter-test-'));
  nvr = await startTestNvr();
  recordedFrom = new Date(Date.now() + 1_000);
  closedPort = await findClosedPort();
});

afterAll(async () => {
  await nvr?.stop();
  await rm(scratchDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await nvr.reset();
});

function at(offsetMs: number): Date {
  return new Date(recordedFrom.getTime() + offsetMs);
}

describe('getDeviceTime', () => {
  it('returns the NVR clock', async () => {
    const deviceTime = await adapter.getDeviceTime(connectionTo(nvr, 'dahua'));

    expect(Math.abs(deviceTime.getTime() - Date.now())).toBeLessThan(1_500);
  });

  it('follows a clock that runs ahead', async () => {
    await nvr.setState({ clockOffsetMs: 30_000 });

    const deviceTime = await adapter.getDeviceTime(connectionTo(nvr, 'dahua'));

    expect(Math.abs(deviceTime.getTime() - (Date.now() + 30_000))).toBeLessThan(1_500);
  });

  it('reads the time in the room time zone', async () => {
    // The simulator runs in UTC+8, so a room set to UTC+9 reads the same text one hour earlier.
    const deviceTime = await adapter.getDeviceTime(connectionTo(nvr, 'dahua', { utcOffsetMinutes: 540 }));

    expect(Math.abs(deviceTime.getTime() - (Date.now() - 3_600_000))).toBeLessThan(1_500);
  });

  it('rejects a wrong password with NVR_AUTH_FAILED', async () => {
    const error = await rejectionOf(adapter.getDeviceTime(connectionTo(nvr, 'dahua', { password: 'wrong' })));

    expect(error).toBeInstanceOf(NvrError);
    expect(error.code).toBe('NVR_AUTH_FAILED');
    expect(error.message).toBe('硬盘录像机登录失败，请核对登录账号和登录密码。');
  });

  it('rejects a changed device password with NVR_AUTH_FAILED', async () => {
    await nvr.setState({ wrongPassword: true });

    const error = await rejectionOf(adapter.getDeviceTime(connectionTo(nvr, 'dahua')));

    expect(error.code).toBe('NVR_AUTH_FAILED');
  });

  it('rejects an offline device with NVR_OFFLINE', async () => {
    await nvr.setState({ offline: true });

    const error = await rejectionOf(adapter.getDeviceTime(connectionTo(nvr, 'dahua')));

    expect(error.code).toBe('NVR_OFFLINE');
    expect(error.message).toContain(`127.0.0.1:${nvr.httpPort}`);
    expect(error.message).not.toContain(NVR_PASSWORD);
  });

  it('rejects a closed port with NVR_OFFLINE', async () => {
    const error = await rejectionOf(adapter.getDeviceTime(connectionTo(nvr, 'dahua', { httpPort: closedPort })));

    expect(error.code).toBe('NVR_OFFLINE');
    expect(error.message).toContain('无法连接硬盘录像机');
  });
});

describe('testConnection', () => {
  it('reports success with the clock offset', async () => {
    const result = await adapter.testConnection(connectionTo(nvr, 'dahua'));

    expect(result.reachable).toBe(true);
    expect(result.authenticated).toBe(true);
    expect(result.deviceTime).toBeInstanceOf(Date);
    expect(Math.abs(result.clockOffsetMs!)).toBeLessThan(1_500);
    expect(result.message).toMatch(/^连接成功/);
  });

  it('warns about a clock off by more than 5 s', async () => {
    await nvr.setState({ clockOffsetMs: -20_000 });

    const result = await adapter.testConnection(connectionTo(nvr, 'dahua'));

    expect(result.authenticated).toBe(true);
    expect(result.clockOffsetMs!).toBeLessThan(-18_500);
    expect(result.message).toContain('慢');
    expect(result.message).toContain('请校准设备时间');
  });

  it('reports a wrong password', async () => {
    const result = await adapter.testConnection(connectionTo(nvr, 'dahua', { password: 'wrong' }));

    expect(result.reachable).toBe(true);
    expect(result.authenticated).toBe(false);
    expect(result.deviceTime).toBeNull();
    expect(result.message).toContain('登录失败');
  });

  it('reports an offline device', async () => {
    await nvr.setState({ offline: true });

    const result = await adapter.testConnection(connectionTo(nvr, 'dahua'));

    expect(result.reachable).toBe(false);
    expect(result.authenticated).toBe(false);
    expect(result.message).toContain('无法连接硬盘录像机');
  });

  it('reports an RTSP port that does not answer', async () => {
    const result = await adapter.testConnection(connectionTo(nvr, 'dahua', { rtspPort: closedPort }));

    expect(result.reachable).toBe(false);
    expect(result.deviceTime).toBeInstanceOf(Date);
    expect(result.message).toMatch(/^实时视频（RTSP）检查失败/);
    expect(result.message).toContain(`127.0.0.1:${closedPort}`);
  });

  it('reports an unknown channel', async () => {
    const result = await adapter.testConnection(connectionTo(nvr, 'dahua', { channel: 7 }));

    expect(result.reachable).toBe(true);
    expect(result.message).toContain('RTSP');
  });
});

describe('downloadRange', () => {
  it('streams a clip of the requested length', async () => {
    // Whole seconds, so the adapter does not widen the range.
    const from = new Date(Math.ceil(at(1_000).getTime() / 1000) * 1000);
    const to = new Date(from.getTime() + 6_000);
    await waitForRecording(nvr, to);

    const stream = await adapter.downloadRange(connectionTo(nvr, 'dahua'), from, to);
    const clipPath = path.join(scratchDir, 'clip.ts');
    const error = await saveStream(stream, clipPath);

    expect(error).toBeNull();
    const probe = await probeMedia(clipPath);
    expect(probe.codec).toBe('h264');
    // The clip starts at the keyframe at or before `from`, and keyframes come every second.
    expect(probe.durationSeconds).toBeGreaterThan(5.8);
    expect(probe.durationSeconds).toBeLessThan(7.05);
  });

  it('fails the stream when the body is cut off', async () => {
    await waitForRecording(nvr, at(5_000));
    await nvr.setState({ truncateAfterBytes: 20_000 });

    const stream = await adapter.downloadRange(connectionTo(nvr, 'dahua'), at(0), at(5_000));
    const error = await saveStream(stream, path.join(scratchDir, 'truncated.ts'));

    expect(error).toBeInstanceOf(NvrError);
    expect(error!.code).toBe('NVR_BAD_RESPONSE');
    expect(error!.message).toContain('连接中断');
  });

  it('keeps reading a slow body', async () => {
    await waitForRecording(nvr, at(3_000));
    await nvr.setState({ slowBytesPerSec: 200_000 });

    const startedAt = Date.now();
    const stream = await adapter.downloadRange(connectionTo(nvr, 'dahua'), at(0), at(3_000));
    const error = await saveStream(stream, path.join(scratchDir, 'slow.ts'));

    expect(error).toBeNull();
    expect(Date.now() - startedAt).toBeGreaterThan(500);
  });

  it('rejects a range without recording with NVR_NO_RECORDING', async () => {
    const from = new Date(Date.now() + 3_600_000);

    const error = await rejectionOf(adapter.downloadRange(connectionTo(nvr, 'dahua'), from, new Date(from.getTime() + 60_000)));

    expect(error.code).toBe('NVR_NO_RECORDING');
    expect(error.message).toContain('没有');
  });

  it('stops when the signal aborts', async () => {
    await waitForRecording(nvr, at(4_000));
    await nvr.setState({ slowBytesPerSec: 2_000 });
    const controller = new AbortController();

    const stream = await adapter.downloadRange(connectionTo(nvr, 'dahua'), at(0), at(4_000), controller.signal);
    setTimeout(() => controller.abort(), 300);
    const error = await saveStream(stream, path.join(scratchDir, 'aborted.ts'));

    expect(error?.name).toBe('AbortError');
  });
});

describe('listRecordings', () => {
  it('returns one interval for continuous recording', async () => {
    const from = at(0);
    const to = at(6_000);
    await waitForRecording(nvr, to);

    const recordings = await adapter.listRecordings(connectionTo(nvr, 'dahua'), from, to);

    expect(recordings).toHaveLength(1);
    expect(recordings[0]!.from.getTime()).toBe(from.getTime());
    expect(recordings[0]!.to.getTime()).toBe(to.getTime());
  });

  it('shows a gap as two intervals', async () => {
    const to = at(10_000);
    await waitForRecording(nvr, to);
    await nvr.setState({ gaps: [{ from: at(3_000).toISOString(), to: at(7_000).toISOString() }] });

    const recordings = await adapter.listRecordings(connectionTo(nvr, 'dahua'), at(0), to);

    expect(recordings).toHaveLength(2);
    const holeMs = recordings[1]!.from.getTime() - recordings[0]!.to.getTime();
    expect(holeMs).toBeGreaterThanOrEqual(2_000);
    expect(holeMs).toBeLessThanOrEqual(4_000);
  });

  it('reads times on the NVR clock', async () => {
    await waitForRecording(nvr, at(4_000));
    await nvr.setState({ clockOffsetMs: 3_600_000 });
    const shift = (date: Date): Date => new Date(date.getTime() + 3_600_000);

    const onNvrClock = await adapter.listRecordings(connectionTo(nvr, 'dahua'), shift(at(0)), shift(at(4_000)));
    const onServerClock = await adapter.listRecordings(connectionTo(nvr, 'dahua'), at(0), at(4_000));

    expect(onNvrClock).toHaveLength(1);
    expect(onServerClock).toHaveLength(0);
  });
});

describe('RTSP URLs', () => {
  it('builds a live URL with encoded credentials that ffmpeg can open', async () => {
    const url = adapter.liveUrl(connectionTo(nvr, 'dahua'));

    expect(url).toBe(`rtsp://admin:p%40ss%231%3Ax@127.0.0.1:${nvr.rtspPort}/cam/realmonitor?channel=1&subtype=0`);
    const result = await pullRtsp(url, 2, path.join(scratchDir, 'live.mp4'));
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('builds a playback URL in device local time', async () => {
    const from = new Date('2026-12-04T12:00:00.400Z');
    const to = new Date('2026-12-04T12:01:00.100Z');

    const url = adapter.playbackUrl(connectionTo(nvr, 'dahua'), from, to);

    expect(url).toContain('/cam/playback?channel=1&starttime=2026_12_04_20_00_00&endtime=2026_12_04_20_01_01');
  });

  it('plays back a recorded range', async () => {
    const from = at(1_000);
    const to = at(4_000);
    await waitForRecording(nvr, to);

    const result = await pullRtsp(adapter.playbackUrl(connectionTo(nvr, 'dahua'), from, to), 3, path.join(scratchDir, 'playback.mp4'));

    expect(result.exitCode, result.stderr).toBe(0);
    expect(Math.abs((await probeMedia(path.join(scratchDir, 'playback.mp4'))).durationSeconds - 3)).toBeLessThan(1);
  });
});

/** Returns a loopback port with nothing listening on it. */
async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
