import type { IncomingMessage, ServerResponse } from 'node:http';

import type { SimulatorConfig } from './config.js';
import type { DeviceClock } from './device-time.js';
import type { ImportResult } from './importer.js';
import type { SegmentStore } from './segment-store.js';
import type { GapMs, SimState } from './sim-state.js';

/** Simulator state and services that the HTTP handlers use. */
export interface SimulatorContext {
  readonly config: SimulatorConfig;
  readonly store: SegmentStore;
  readonly serialNumber: string;
  readonly deviceType: string;
  /** Folder for the RTSP server's playback cuts. */
  readonly playbackDir: string;
  state(): SimState;
  deviceClock(): DeviceClock;
  gaps(): GapMs[];
  /** Applies a JSON patch. `requestSocket` stays open when the patch turns `offline` on. */
  updateState(patch: unknown, requestSocket?: unknown): SimState;
  resetState(): SimState;
  importRecording(file: string, atMs: number): Promise<ImportResult>;
}

export function sendText(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'application/xml; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/** Dahua CGI error replies are plain text starting with "Error". */
export function sendDahuaError(response: ServerResponse, status: number, detail: string): void {
  sendText(response, status, `Error\r\n${detail}\r\n`);
}

const MAX_JSON_BODY_BYTES = 64 * 1024;

export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length > MAX_JSON_BODY_BYTES) {
      throw new SyntaxError(`The request body is larger than ${MAX_JSON_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
}
