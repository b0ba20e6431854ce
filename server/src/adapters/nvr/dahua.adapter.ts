/**
 * Dahua NVRs (and OEM models with the same firmware): HTTP CGI for the clock, file search and
 * time-range download, RTSP for live view and playback.
 *
 * File finding follows the Dahua HTTP API as quoted in node-dahua-api (dahua.js, "10.1.3
 * FindNextFile": at most 100 files per call, times like "2011-1-1 12:00:00"). Times are device local
 * time, and channels count from 1 in every URL built here.
 * NOTE: not checked against a real device. The loadfile.cgi parameters come from client code only,
 * and whether condition.Channel and loadfile's channel count from 1 on every firmware is open.
 */
import { runConnectionTest } from './connection-test.js';
import { formatDeviceTime, parseDahuaTime, widenToSeconds } from './device-time.js';
import { digestRequest, readBodyText, type DigestResponse } from './digest-client.js';
import { badResponseError, noRecordingError, type DeviceAddress } from './nvr-messages.js';
import {
  DEFAULT_NVR_TIMEOUTS,
  type NvrAdapter,
  type NvrConnection,
  type NvrTestResult,
  type NvrTimeouts,
} from './nvr.types.js';
import { buildRtspUrl } from './rtsp-url.js';

/** The device reports whole seconds, so half a second is added as the unbiased estimate of the true time. */
const HALF_SECOND_MS = 500;
/** findNextFile returns at most 100 items per call. */
const FIND_PAGE_SIZE = 100;
/** Maximum number of pages, so a device that never returns "found=0" cannot keep the loop going. */
const MAX_FIND_PAGES = 1_000;
/** Recordings closer than this are one continuous interval, because file boundaries leave tiny holes. */
const MERGE_TOLERANCE_MS = 1_000;

export class DahuaAdapter implements NvrAdapter {
  constructor(private readonly timeouts: NvrTimeouts = DEFAULT_NVR_TIMEOUTS) {}

  testConnection(conn: NvrConnection): Promise<NvrTestResult> {
    return runConnectionTest(conn, {
      readDeviceTime: (connection) => this.getDeviceTime(connection),
      liveUrlWithoutCredentials: (connection) => buildRtspUrl(connection, livePath(connection), false),
      timeouts: this.timeouts,
    });
  }

  async getDeviceTime(conn: NvrConnection, signal?: AbortSignal): Promise<Date> {
    const text = await this.getText(conn, '/cgi-bin/global.cgi?action=getCurrentTime', signal);
    const value = /result=([^\r\n]+)/.exec(text)?.[1];
    const parsed = value === undefined ? null : parseDahuaTime(value, conn.utcOffsetMinutes);
    if (!parsed) {
      throw badResponseError(addressOf(conn), `设备时间“${text.trim().slice(0, 60)}”无法识别`);
    }
    return new Date(parsed.getTime() + HALF_SECOND_MS);
  }

  liveUrl(conn: NvrConnection): string {
    return buildRtspUrl(conn, livePath(conn));
  }

  playbackUrl(conn: NvrConnection, from: Date, to: Date): string {
    const range = widenToSeconds(from, to);
    const start = formatDeviceTime(range.from, conn.utcOffsetMinutes, 'dahua-rtsp');
    const end = formatDeviceTime(range.to, conn.utcOffsetMinutes, 'dahua-rtsp');
    return buildRtspUrl(conn, `/cam/playback?channel=${conn.channel}&starttime=${start}&endtime=${end}`);
  }

  /** `loadfile.cgi?action=startLoad`: the device streams the range (DHAV on real devices). */
  async downloadRange(conn: NvrConnection, from: Date, to: Date, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    const range = widenToSeconds(from, to);
    const startText = formatDeviceTime(range.from, conn.utcOffsetMinutes, 'dahua-cgi');
    const endText = formatDeviceTime(range.to, conn.utcOffsetMinutes, 'dahua-cgi');
    const path =
      `/cgi-bin/loadfile.cgi?action=startLoad&channel=${conn.channel}` +
      `&startTime=${encodeCgiTime(startText)}&endTime=${encodeCgiTime(endText)}&subtype=0`;

    const response = await this.request(conn, path, signal);
    if (response.statusCode === 200) {
      return response.body;
    }
    const detail = await readErrorDetail(response, addressOf(conn));
    if (response.statusCode === 404) {
      throw noRecordingError(startText, endText);
    }
    throw badResponseError(addressOf(conn), `HTTP ${response.statusCode}${detail}`);
  }

  /** mediaFileFind.cgi: create a finder, search, page through the files, then close and destroy it. */
  async listRecordings(conn: NvrConnection, from: Date, to: Date, signal?: AbortSignal): Promise<{ from: Date; to: Date }[]> {
    const base = '/cgi-bin/mediaFileFind.cgi';
    const created = await this.getText(conn, `${base}?action=factory.create`, signal);
    const objectId = /result=(\S+)/.exec(created)?.[1];
    if (!objectId) {
      throw badResponseError(addressOf(conn), '无法创建录像查询');
    }

    const range = widenToSeconds(from, to);
    const files: { from: Date; to: Date }[] = [];
    try {
      const search = await this.getText(
        conn,
        `${base}?action=findFile&object=${objectId}&condition.Channel=${conn.channel}` +
          `&condition.StartTime=${encodeCgiTime(formatDeviceTime(range.from, conn.utcOffsetMinutes, 'dahua-cgi'))}` +
          `&condition.EndTime=${encodeCgiTime(formatDeviceTime(range.to, conn.utcOffsetMinutes, 'dahua-cgi'))}`,
        signal,
      );
      // Some firmware returns "Error" instead of "OK" when no file matches.
      if (/^OK/i.test(search.trim())) {
        await this.collectFiles(conn, `${base}?action=findNextFile&object=${objectId}&count=${FIND_PAGE_SIZE}`, files, signal);
      }
    } finally {
      await this.getText(conn, `${base}?action=close&object=${objectId}`, signal).catch(() => undefined);
      await this.getText(conn, `${base}?action=destroy&object=${objectId}`, signal).catch(() => undefined);
    }

    return mergeAndClip(files, from, to);
  }

  private async collectFiles(
    conn: NvrConnection,
    pagePath: string,
    files: { from: Date; to: Date }[],
    signal?: AbortSignal,
  ): Promise<void> {
    for (let page = 0; page < MAX_FIND_PAGES; page += 1) {
      const text = await this.getText(conn, pagePath, signal);
      const found = Number(/found=(\d+)/.exec(text)?.[1] ?? Number.NaN);
      if (Number.isNaN(found)) {
        throw badResponseError(addressOf(conn), '录像查询结果无法识别');
      }
      files.push(...parseFindItems(text, conn.utcOffsetMinutes));
      if (found < FIND_PAGE_SIZE) {
        return;
      }
    }
  }

  private request(conn: NvrConnection, path: string, signal?: AbortSignal): Promise<DigestResponse> {
    return digestRequest({
      host: conn.host,
      port: conn.httpPort,
      path,
      username: conn.username,
      password: conn.password,
      signal,
      timeouts: this.timeouts,
    });
  }

  /** GET that expects 200 and a short text body. */
  private async getText(conn: NvrConnection, path: string, signal?: AbortSignal): Promise<string> {
    const response = await this.request(conn, path, signal);
    if (response.statusCode !== 200) {
      const detail = await readErrorDetail(response, addressOf(conn));
      throw badResponseError(addressOf(conn), `HTTP ${response.statusCode}${detail}`);
    }
    return readBodyText(response, addressOf(conn));
  }
}

function livePath(conn: NvrConnection): string {
  return `/cam/realmonitor?channel=${conn.channel}&subtype=0`;
}

function addressOf(conn: NvrConnection): DeviceAddress {
  return { host: conn.host, port: conn.httpPort };
}

/** Dahua expects `2026-12-04%2020:30:00`: the space encoded, the colons as they are. */
function encodeCgiTime(text: string): string {
  return text.replace(' ', '%20');
}

/** Returns "：<first line of the body>" for an error message, or "" when the body is empty or unreadable. */
async function readErrorDetail(response: DigestResponse, address: DeviceAddress): Promise<string> {
  try {
    const text = await readBodyText(response, address, 4096);
    const line = text
      .split(/\r?\n/)
      .map((item) => item.trim())
      .find((item) => item !== '' && item !== 'Error');
    return line ? `：${line.slice(0, 120)}` : '';
  } catch {
    return '';
  }
}

/** Reads `items[i].StartTime` / `items[i].EndTime` pairs from a findNextFile reply. */
function parseFindItems(text: string, utcOffsetMinutes: number): { from: Date; to: Date }[] {
  const starts = new Map<string, Date>();
  const ends = new Map<string, Date>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^items\[(\d+)\]\.(StartTime|EndTime)=(.+)$/.exec(line.trim());
    const time = match ? parseDahuaTime(match[3]!, utcOffsetMinutes) : null;
    if (match && time) {
      (match[2] === 'StartTime' ? starts : ends).set(match[1]!, time);
    }
  }

  const items: { from: Date; to: Date }[] = [];
  for (const [index, start] of starts) {
    const end = ends.get(index);
    if (end && end.getTime() > start.getTime()) {
      items.push({ from: start, to: end });
    }
  }
  return items;
}

/** Sorts, merges touching intervals and clips them to [from, to]. */
export function mergeAndClip(intervals: { from: Date; to: Date }[], from: Date, to: Date): { from: Date; to: Date }[] {
  const sorted = [...intervals].sort((a, b) => a.from.getTime() - b.from.getTime());
  const merged: { from: Date; to: Date }[] = [];
  for (const interval of sorted) {
    const fromMs = Math.max(interval.from.getTime(), from.getTime());
    const toMs = Math.min(interval.to.getTime(), to.getTime());
    if (toMs <= fromMs) {
      continue;
    }
    const last = merged.at(-1);
    if (last && fromMs - last.to.getTime() <= MERGE_TOLERANCE_MS) {
      last.to = new Date(Math.max(last.to.getTime(), toMs));
    } else {
      merged.push({ from: new Date(fromMs), to: new Date(toMs) });
    }
  }
  return merged;
}
