/**
 * Dahua HTTP CGI endpoints: device time, device info, time-range download and file search.
 * Replies use Dahua's text format: `key=value` lines separated by CRLF, and `Error\r\n...` bodies
 * for failures. mediaFileFind.cgi follows the Dahua HTTP API as quoted in node-dahua-api (dahua.js).
 */
import { randomInt } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { sendClip } from './clip-response.js';
import { sendDahuaError, sendText, type SimulatorContext } from './context.js';
import { formatDahuaTime, parseDahuaTime, type DeviceClock } from './device-time.js';
import type { RecordingRun } from './segment-store.js';

const SUPPORTED_CHANNEL = '1';
const MAX_FIND_COUNT = 100;

export function handleGlobalCgi(context: SimulatorContext, query: URLSearchParams, response: ServerResponse): void {
  if (query.get('action') !== 'getCurrentTime') {
    sendDahuaError(response, 400, 'Bad Request! Supported action: getCurrentTime.');
    return;
  }
  sendText(response, 200, `result=${formatDahuaTime(Date.now(), context.deviceClock())}\r\n`);
}

export function handleMagicBoxCgi(context: SimulatorContext, query: URLSearchParams, response: ServerResponse): void {
  switch (query.get('action')) {
    case 'getDeviceType':
      sendText(response, 200, `type=${context.deviceType}\r\n`);
      return;
    case 'getSystemInfo':
      sendText(
        response,
        200,
        [
          `deviceType=${context.deviceType}`,
          'processor=ST7108',
          `serialNumber=${context.serialNumber}`,
          `updateSerial=${context.deviceType}`,
          '',
        ].join('\r\n'),
      );
      return;
    default:
      sendDahuaError(response, 400, 'Bad Request! Supported actions: getDeviceType, getSystemInfo.');
  }
}

/** `loadfile.cgi?action=startLoad&channel=1&startTime=...&endTime=...`: streams the range as MPEG-TS. */
export async function handleLoadfileCgi(
  context: SimulatorContext,
  query: URLSearchParams,
  response: ServerResponse,
): Promise<void> {
  if (query.get('action') !== 'startLoad') {
    sendDahuaError(response, 400, 'Bad Request! Supported action: startLoad.');
    return;
  }
  if (query.get('channel') !== SUPPORTED_CHANNEL) {
    sendDahuaError(response, 400, `Bad Request! Unknown channel "${query.get('channel') ?? ''}". This NVR has only channel 1.`);
    return;
  }
  const range = readTimeRange(query, 'startTime', 'endTime', context.deviceClock());
  if ('error' in range) {
    sendDahuaError(response, 400, range.error);
    return;
  }

  const plan = await context.store.planClip(range.startMs, range.endMs, context.gaps());
  if (!plan) {
    sendDahuaError(response, 404, 'No recording found for the requested time range.');
    return;
  }
  await sendClip(context, response, plan);
}

interface FindSession {
  results: RecordingRun[] | null;
  cursor: number;
  channel: string;
}

/** Open file finders of `mediaFileFind.cgi`, by object id. */
export class MediaFileFinder {
  private readonly sessions = new Map<string, FindSession>();

  handle(context: SimulatorContext, query: URLSearchParams, response: ServerResponse): void {
    const action = query.get('action');
    if (action === 'factory.create') {
      const objectId = String(randomInt(100_000_000, 999_999_999));
      this.sessions.set(objectId, { results: null, cursor: 0, channel: SUPPORTED_CHANNEL });
      sendText(response, 200, `result=${objectId}\r\n`);
      return;
    }

    const objectId = query.get('object') ?? '';
    const session = this.sessions.get(objectId);
    if (!session) {
      sendDahuaError(response, 400, `Bad Request! Unknown finder object "${objectId}". Call factory.create first.`);
      return;
    }

    switch (action) {
      case 'findFile':
        this.startSearch(context, session, query, response);
        return;
      case 'findNextFile':
        this.sendNextResults(context, session, query, response);
        return;
      case 'close':
      case 'factory.close':
        session.results = null;
        sendText(response, 200, 'OK\r\n');
        return;
      case 'destroy':
      case 'factory.destroy':
        this.sessions.delete(objectId);
        sendText(response, 200, 'OK\r\n');
        return;
      default:
        sendDahuaError(response, 400, `Bad Request! Unknown action "${action ?? ''}".`);
    }
  }

  private startSearch(
    context: SimulatorContext,
    session: FindSession,
    query: URLSearchParams,
    response: ServerResponse,
  ): void {
    const channel = query.get('condition.Channel');
    if (channel !== SUPPORTED_CHANNEL) {
      sendDahuaError(response, 400, `Bad Request! Unknown channel "${channel ?? ''}". This NVR has only channel 1.`);
      return;
    }
    const range = readTimeRange(query, 'condition.StartTime', 'condition.EndTime', context.deviceClock());
    if ('error' in range) {
      sendDahuaError(response, 400, range.error);
      return;
    }
    session.results = context.store
      .runs(context.gaps())
      .filter((run) => run.fromMs < range.endMs && run.toMs > range.startMs);
    session.cursor = 0;
    session.channel = channel;
    sendText(response, 200, 'OK\r\n');
  }

  private sendNextResults(
    context: SimulatorContext,
    session: FindSession,
    query: URLSearchParams,
    response: ServerResponse,
  ): void {
    if (!session.results) {
      sendDahuaError(response, 400, 'Bad Request! Call findFile before findNextFile.');
      return;
    }
    const requested = Number(query.get('count') ?? MAX_FIND_COUNT);
    const count = Number.isInteger(requested) && requested > 0 ? Math.min(requested, MAX_FIND_COUNT) : MAX_FIND_COUNT;
    const page = session.results.slice(session.cursor, session.cursor + count);
    session.cursor += page.length;

    const clock = context.deviceClock();
    const lines = [`found=${page.length}`];
    for (const [index, run] of page.entries()) {
      lines.push(...describeFile(index, session.channel, run, clock));
    }
    sendText(response, 200, `${lines.join('\r\n')}\r\n`);
  }
}

function describeFile(index: number, channel: string, run: RecordingRun, clock: DeviceClock): string[] {
  // Whole seconds, rounded outwards, as the device lists files.
  const fromMs = Math.floor(run.fromMs / 1000) * 1000;
  const toMs = Math.ceil(run.toMs / 1000) * 1000;
  const startText = formatDahuaTime(fromMs, clock);
  const endText = formatDahuaTime(toMs, clock);
  const day = startText.slice(0, 10);
  const hour = startText.slice(11, 13);
  const fileName = `${startText.slice(11).replace(/:/g, '.')}-${endText.slice(11).replace(/:/g, '.')}`;
  const prefix = `items[${index}]`;
  return [
    `${prefix}.Channel=${channel}`,
    `${prefix}.StartTime=${startText}`,
    `${prefix}.EndTime=${endText}`,
    `${prefix}.Type=dav`,
    `${prefix}.VideoStream=Main`,
    `${prefix}.FilePath=/mnt/dvr/${day}/00${channel}/dav/${hour}/${fileName}[R][0@0][0].dav`,
    `${prefix}.Length=${run.bytes}`,
    `${prefix}.Duration=${Math.round((toMs - fromMs) / 1000)}`,
    `${prefix}.Flags[0]=Timing`,
  ];
}

/** Reads two device-clock time parameters and returns the real range, or an error text for a 400. */
function readTimeRange(
  query: URLSearchParams,
  startName: string,
  endName: string,
  clock: DeviceClock,
): { startMs: number; endMs: number } | { error: string } {
  const startText = query.get(startName) ?? '';
  const endText = query.get(endName) ?? '';
  const startMs = parseDahuaTime(startText, clock);
  if (startMs === null) {
    return { error: `Bad Request! ${startName} "${startText}" is invalid; use YYYY-MM-DD HH:MM:SS.` };
  }
  const endMs = parseDahuaTime(endText, clock);
  if (endMs === null) {
    return { error: `Bad Request! ${endName} "${endText}" is invalid; use YYYY-MM-DD HH:MM:SS.` };
  }
  if (endMs <= startMs) {
    return { error: `Bad Request! ${endName} must be later than ${startName}.` };
  }
  return { startMs, endMs };
}
