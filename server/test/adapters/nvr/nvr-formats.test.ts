import { describe, expect, it } from 'vitest';

import { mergeAndClip } from '../../../src/adapters/nvr/dahua.adapter.js';
import { formatDeviceTime, parseDahuaTime, parseIsapiTime, widenToSeconds } from '../../../src/adapters/nvr/device-time.js';
import { chooseChallenge, parseChallenges } from '../../../src/adapters/nvr/digest-auth.js';
import type { NvrConnection } from '../../../src/adapters/nvr/nvr.types.js';
import { buildRtspUrl } from '../../../src/adapters/nvr/rtsp-url.js';

const instant = new Date('2026-12-04T12:30:05.900Z');

describe('formatDeviceTime', () => {
  it('formats each vendor style in UTC+8', () => {
    expect(formatDeviceTime(instant, 480, 'dahua-cgi')).toBe('2026-12-04 20:30:05');
    expect(formatDeviceTime(instant, 480, 'dahua-rtsp')).toBe('2026_12_04_20_30_05');
    expect(formatDeviceTime(instant, 480, 'hikvision-rtsp')).toBe('20261204T203005Z');
  });

  it('crosses midnight into the next local day', () => {
    expect(formatDeviceTime(new Date('2026-12-04T18:00:00Z'), 480, 'dahua-cgi')).toBe('2026-12-05 02:00:00');
  });

  it('handles offsets west of UTC', () => {
    expect(formatDeviceTime(instant, -300, 'dahua-cgi')).toBe('2026-12-04 07:30:05');
  });
});

describe('parseDahuaTime', () => {
  it('reads device local time', () => {
    expect(parseDahuaTime('2026-12-04 20:30:05', 480)?.toISOString()).toBe('2026-12-04T12:30:05.000Z');
  });

  it('accepts single-digit fields', () => {
    expect(parseDahuaTime('2026-1-4 9:05:00', 480)?.toISOString()).toBe('2026-01-04T01:05:00.000Z');
  });

  it('rejects impossible dates', () => {
    expect(parseDahuaTime('2026-02-30 10:00:00', 480)).toBeNull();
    expect(parseDahuaTime('2026-12-04 24:00:00', 480)).toBeNull();
    expect(parseDahuaTime('yesterday', 480)).toBeNull();
  });
});

describe('parseIsapiTime', () => {
  it('uses the offset in the text', () => {
    expect(parseIsapiTime('2026-12-04T20:30:05+08:00', 0)?.toISOString()).toBe('2026-12-04T12:30:05.000Z');
    expect(parseIsapiTime('2026-12-04T12:30:05Z', 480)?.toISOString()).toBe('2026-12-04T12:30:05.000Z');
  });

  it('falls back to the room offset', () => {
    expect(parseIsapiTime('2026-12-04T20:30:05', 480)?.toISOString()).toBe('2026-12-04T12:30:05.000Z');
  });
});

describe('widenToSeconds', () => {
  it('rounds the start down and the end up', () => {
    const range = widenToSeconds(new Date('2026-12-04T12:00:00.400Z'), new Date('2026-12-04T12:00:09.100Z'));

    expect(range.from.toISOString()).toBe('2026-12-04T12:00:00.000Z');
    expect(range.to.toISOString()).toBe('2026-12-04T12:00:10.000Z');
  });

  it('keeps at least one second', () => {
    const range = widenToSeconds(new Date('2026-12-04T12:00:00.000Z'), new Date('2026-12-04T12:00:00.000Z'));

    expect(range.to.getTime() - range.from.getTime()).toBe(1_000);
  });
});

describe('buildRtspUrl', () => {
  const conn: NvrConnection = {
    vendor: 'dahua',
    host: '10.1.2.3',
    httpPort: 80,
    rtspPort: 554,
    username: 'ad min',
    password: "p@ss#1:x/?!'()*%",
    channel: 1,
    utcOffsetMinutes: 480,
  };

  it('percent-encodes reserved characters in the credentials', () => {
    expect(buildRtspUrl(conn, '/live')).toBe('rtsp://ad%20min:p%40ss%231%3Ax%2F%3F%21%27%28%29%2A%25@10.1.2.3:554/live');
  });

  it('round-trips the password through URL parsing', () => {
    const parsed = new URL(buildRtspUrl(conn, '/live'));

    expect(decodeURIComponent(parsed.password)).toBe(conn.password);
  });

  it('puts IPv6 hosts in brackets', () => {
    expect(buildRtspUrl({ ...conn, host: 'fd00::1' }, '/live', false)).toBe('rtsp://[fd00::1]:554/live');
  });
});

describe('parseChallenges', () => {
  it('reads several challenges from one header', () => {
    const challenges = parseChallenges(['Digest realm="a", nonce="1", algorithm=MD5, Digest realm="a", nonce="2", algorithm=SHA-256, Basic realm="a"']);

    expect(challenges.digest).toHaveLength(2);
    expect(challenges.hasBasic).toBe(true);
    expect(chooseChallenge(challenges.digest)?.nonce).toBe('2');
  });

  it('reads an RFC 2069 challenge without qop', () => {
    const [challenge] = parseChallenges(['Digest realm="GStreamer RTSP Server", nonce="abc"']).digest;

    expect(challenge?.qop).toEqual([]);
    expect(challenge?.algorithm).toBe('MD5');
  });
});

describe('mergeAndClip', () => {
  const t = (seconds: number): Date => new Date(Date.UTC(2026, 11, 4, 12, 0, seconds));

  it('merges touching files and clips to the range', () => {
    const merged = mergeAndClip(
      [
        { from: t(10), to: t(20) },
        { from: t(0), to: t(10) },
        { from: t(30), to: t(50) },
      ],
      t(5),
      t(40),
    );

    expect(merged).toEqual([
      { from: t(5), to: t(20) },
      { from: t(30), to: t(40) },
    ]);
  });
});
