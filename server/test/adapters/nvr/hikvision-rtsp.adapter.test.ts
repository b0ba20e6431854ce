import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { HikvisionAdapter } from '../../../src/adapters/nvr/hikvision.adapter.js';
import { createNvrAdapter } from '../../../src/adapters/nvr/index.js';
import { NvrError, type NvrAdapter } from '../../../src/adapters/nvr/nvr.types.js';
import { RtspAdapter } from '../../../src/adapters/nvr/rtsp.adapter.js';
import { startTestNvr, type NvrSimulator } from '../../helpers/nvr-simulator.js';
import { connectionTo, probeMedia, pullRtsp, rejectionOf, waitForRecording } from './nvr-test-helpers.js';

const hikvision = new HikvisionAdapter();
const generic = new RtspAdapter();
let nvr: NvrSimulator;
let scratchDir: string;
let recordedFrom: Date;

beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'hikvision-adapter-test-'));
  nvr = await startTestNvr();
  recordedFrom = new Date(Math.ceil((Date.now() + 1_000) / 1000) * 1000);
});

afterAll(async () => {
  await nvr?.stop();
  await rm(scratchDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await nvr.reset();
});

describe('HikvisionAdapter', () => {
  it('reads the ISAPI clock', async () => {
    await nvr.setState({ clockOffsetMs: 10_000 });

    const deviceTime = await hikvision.getDeviceTime(connectionTo(nvr, 'hikvision'));

    expect(Math.abs(deviceTime.getTime() - (Date.now() + 10_000))).toBeLessThan(1_500);
  });

  it('uses the offset in localTime over the room setting', async () => {
    const deviceTime = await hikvision.getDeviceTime(connectionTo(nvr, 'hikvision', { utcOffsetMinutes: 0 }));

    expect(Math.abs(deviceTime.getTime() - Date.now())).toBeLessThan(1_500);
  });

  it('reports a successful connection test', async () => {
    const result = await hikvision.testConnection(connectionTo(nvr, 'hikvision'));

    expect(result.reachable).toBe(true);
    expect(result.authenticated).toBe(true);
    expect(result.message).toMatch(/^连接成功/);
  });

  it('reports a changed password', async () => {
    await nvr.setState({ wrongPassword: true });

    const result = await hikvision.testConnection(connectionTo(nvr, 'hikvision'));

    expect(result.reachable).toBe(true);
    expect(result.authenticated).toBe(false);
  });

  it('builds the live URL of channel 1 main stream', async () => {
    const url = hikvision.liveUrl(connectionTo(nvr, 'hikvision'));

    expect(url).toBe(`rtsp://admin:p%40ss%231%3Ax@127.0.0.1:${nvr.rtspPort}/Streaming/Channels/101`);
    const result = await pullRtsp(url, 2, path.join(scratchDir, 'live.mp4'));
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('plays back a recorded range', async () => {
    const from = new Date(recordedFrom.getTime() + 1_000);
    const to = new Date(from.getTime() + 3_000);
    await waitForRecording(nvr, to);
    const url = hikvision.playbackUrl(connectionTo(nvr, 'hikvision'), from, to);

    const result = await pullRtsp(url, 3, path.join(scratchDir, 'playback.mp4'));

    expect(url).toMatch(/\/Streaming\/tracks\/101\?starttime=\d{8}T\d{6}Z&endtime=\d{8}T\d{6}Z$/);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(Math.abs((await probeMedia(path.join(scratchDir, 'playback.mp4'))).durationSeconds - 3)).toBeLessThan(1);
  });

  it('has no HTTP download yet', () => {
    const adapter: NvrAdapter = hikvision;

    expect(adapter.downloadRange).toBeUndefined();
  });
});

describe('RtspAdapter', () => {
  const rtspPath = '/Streaming/Channels/{channel}01';

  it('fills the channel into the configured path', () => {
    const url = generic.liveUrl(connectionTo(nvr, 'rtsp', { rtspPath, channel: 1 }));

    expect(url).toBe(`rtsp://admin:p%40ss%231%3Ax@127.0.0.1:${nvr.rtspPort}/Streaming/Channels/101`);
  });

  it('tests the connection over RTSP alone', async () => {
    const result = await generic.testConnection(connectionTo(nvr, 'rtsp', { rtspPath }));

    expect(result.reachable).toBe(true);
    expect(result.authenticated).toBe(true);
    expect(result.deviceTime).toBeNull();
    expect(result.message).toContain('NTP');
  });

  it('reports a wrong password from the RTSP server', async () => {
    const result = await generic.testConnection(connectionTo(nvr, 'rtsp', { rtspPath, password: 'wrong' }));

    expect(result.reachable).toBe(true);
    expect(result.authenticated).toBe(false);
    expect(result.message).toContain('登录失败');
  });

  it('reports an offline device', async () => {
    await nvr.setState({ offline: true });

    const result = await generic.testConnection(connectionTo(nvr, 'rtsp', { rtspPath }));

    expect(result.reachable).toBe(false);
    expect(result.message).toContain('无法连接硬盘录像机');
  });

  it('rejects clock reads and playback', async () => {
    const conn = connectionTo(nvr, 'rtsp', { rtspPath });

    const clockError = await rejectionOf(generic.getDeviceTime());
    const playbackCall = (): string => generic.playbackUrl();

    expect(clockError).toBeInstanceOf(NvrError);
    expect(clockError.code).toBe('NVR_UNSUPPORTED');
    expect(playbackCall).toThrow(NvrError);
    expect(generic.liveUrl(conn)).toContain('/Streaming/Channels/101');
  });
});

describe('createNvrAdapter', () => {
  it('returns the adapter of each vendor', () => {
    expect(createNvrAdapter('dahua').downloadRange).toBeTypeOf('function');
    expect(createNvrAdapter('hikvision')).toBeInstanceOf(HikvisionAdapter);
    expect(createNvrAdapter('rtsp')).toBeInstanceOf(RtspAdapter);
  });
});
