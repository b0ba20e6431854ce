/**
 * `/__sim/...`: the simulator's own API, without authentication.
 *
 *   GET  /__sim/state                 current switches
 *   POST /__sim/state                 JSON patch of switches; 400 names an invalid field
 *   POST /__sim/reset                 all switches back to their defaults
 *   POST /__sim/import {file, at}     add a video file as recording starting at ISO time `at`
 *   GET  /__sim/recordings            continuous recorded runs in real time, gaps applied
 *   GET  /__sim/internal/playback-prepare?uri=...
 *                                     used by rtsp_server.py: writes the cut of an RTSP playback
 *                                     request to a file and returns { path, codec }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { writeClipFile } from './clip.js';
import { readJsonBody, sendJson, sendText, type SimulatorContext } from './context.js';
import { parseDahuaRtspTime, parseHikvisionRtspTime, type DeviceClock } from './device-time.js';
import { ImportError } from './importer.js';
import { describeError, log } from './log.js';
import { StatePatchError } from './sim-state.js';

export async function handleControlRequest(
  context: SimulatorContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'GET /__sim/state':
      sendJson(response, 200, context.state());
      return;
    case 'POST /__sim/state':
      await updateState(context, request, response);
      return;
    case 'POST /__sim/reset':
      sendJson(response, 200, context.resetState());
      return;
    case 'POST /__sim/import':
      await importRecording(context, request, response);
      return;
    case 'GET /__sim/recordings':
      sendJson(response, 200, {
        runs: context.store.runs(context.gaps()).map((run) => ({
          from: new Date(run.fromMs).toISOString(),
          to: new Date(run.toMs).toISOString(),
          bytes: run.bytes,
        })),
      });
      return;
    case 'GET /__sim/internal/playback-prepare':
      await preparePlayback(context, response, url);
      return;
    default:
      sendText(response, 404, `Unknown simulator route ${route}.\n`);
  }
}

async function updateState(context: SimulatorContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const patch = await readJsonBody(request);
    const state = context.updateState(patch, request.socket);
    sendJson(response, 200, state);
  } catch (error) {
    if (error instanceof StatePatchError || error instanceof SyntaxError) {
      sendJson(response, 400, { error: error.message });
      return;
    }
    throw error;
  }
}

async function importRecording(context: SimulatorContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body: { file?: unknown; at?: unknown };
  try {
    body = (await readJsonBody(request)) as { file?: unknown; at?: unknown };
  } catch (error) {
    sendJson(response, 400, { error: describeError(error) });
    return;
  }
  const atMs = typeof body.at === 'string' ? Date.parse(body.at) : Number.NaN;
  if (typeof body.file !== 'string' || Number.isNaN(atMs)) {
    sendJson(response, 400, { error: 'Send {"file": "/path/to/video", "at": "ISO 8601 time"}.' });
    return;
  }

  try {
    const result = await context.importRecording(body.file, atMs);
    sendJson(response, 200, {
      from: new Date(result.fromMs).toISOString(),
      to: new Date(result.toMs).toISOString(),
      segments: result.segments,
    });
  } catch (error) {
    if (error instanceof ImportError) {
      sendJson(response, 400, { error: error.message });
      return;
    }
    throw error;
  }
}

async function preparePlayback(context: SimulatorContext, response: ServerResponse, url: URL): Promise<void> {
  const rtspRequest = url.searchParams.get('uri') ?? '';
  const range = parsePlaybackRequest(rtspRequest, context.deviceClock());
  if ('error' in range) {
    log('info', 'Rejected an RTSP playback request', { rtspRequest, reason: range.error });
    sendJson(response, 400, { error: range.error });
    return;
  }

  const plan = await context.store.planClip(range.startMs, range.endMs, context.gaps());
  if (!plan) {
    sendJson(response, 404, { error: 'No recording found for the requested time range.' });
    return;
  }
  const clipPath = await writeClipFile(plan.ranges, context.config.ffmpegPath, context.playbackDir);
  sendJson(response, 200, { path: clipPath, codec: plan.codec });
}

/**
 * Reads the time range of an RTSP playback request target (path and query):
 *   /cam/playback?channel=1&starttime=2026_12_04_20_00_00&endtime=2026_12_04_20_01_00
 *   /Streaming/tracks/101?starttime=20261204T200000Z&endtime=20261204T200100Z
 */
export function parsePlaybackRequest(
  requestTarget: string,
  clock: DeviceClock,
): { startMs: number; endMs: number } | { error: string } {
  const url = new URL(requestTarget, 'rtsp://nvr.invalid');
  const path = url.pathname.replace(/\/+$/, '');
  const startText = url.searchParams.get('starttime') ?? '';
  const endText = url.searchParams.get('endtime') ?? '';

  let startMs: number | null;
  let endMs: number | null;
  if (path === '/cam/playback') {
    if (url.searchParams.get('channel') !== '1') {
      return { error: `unknown channel "${url.searchParams.get('channel') ?? ''}"` };
    }
    startMs = parseDahuaRtspTime(startText, clock);
    endMs = parseDahuaRtspTime(endText, clock);
  } else if (path === '/Streaming/tracks/101') {
    startMs = parseHikvisionRtspTime(startText, clock);
    endMs = parseHikvisionRtspTime(endText, clock);
  } else {
    return { error: `unknown playback path "${path}"` };
  }

  if (startMs === null || endMs === null) {
    return { error: `starttime "${startText}" or endtime "${endText}" is invalid` };
  }
  if (endMs <= startMs) {
    return { error: 'endtime must be later than starttime' };
  }
  return { startMs, endMs };
}
