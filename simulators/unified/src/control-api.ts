/**
 * The simulator's own API on the control port, without authentication:
 *
 *   GET    /__sim/state                      current switches
 *   POST   /__sim/state                      JSON patch of switches, 400 names an invalid field
 *   POST   /__sim/reset                      switches back to defaults and request counts to zero
 *   GET    /__sim/stats                      API request counts per route and status
 *   GET    /__sim/cases                      every case in (gxsj, bmsah) order
 *   PUT    /__sim/cases                      upsert {cases: [...]} as sent
 *   DELETE /__sim/cases                      remove all cases and files
 *   POST   /__sim/cases/generate             {count, suspectsPerCase?, seed?}
 *   POST   /__sim/cases/change               {count, seed?}
 *   POST   /__sim/cases/delete               {count, seed?}: sfsc Y
 *   GET    /__sim/handlers, PUT /__sim/handlers {handlers: [...]}
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DataStoreError } from './data-store.js';
import { readJsonBody, RequestBodyError, sendJson } from './http-util.js';
import { describeError, log } from './log.js';
import type { Handler } from './model.js';
import { StatePatchError } from './sim-state.js';
import type { UnifiedSimulator } from './simulator.js';

const MAX_CONTROL_BODY_BYTES = 64 * 1024 * 1024;
const MAX_GENERATED_CASES = 100_000;

class ControlRequestError extends Error {}

export async function startControlServer(simulator: UnifiedSimulator, port: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((request, response) => {
    handleControlRequest(simulator, request, response).catch((error: unknown) => {
      if (error instanceof StatePatchError || error instanceof RequestBodyError || error instanceof ControlRequestError || error instanceof DataStoreError) {
        log('info', 'Rejected a control request', { method: request.method, url: request.url, error: error.message });
        sendJson(response, 400, { error: error.message });
        return;
      }
      log('error', 'Control request failed', { url: request.url, error: describeError(error) });
      if (!response.headersSent) {
        sendJson(response, 500, { error: describeError(error) });
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function handleControlRequest(simulator: UnifiedSimulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  const store = simulator.store;
  const readBody = (): Promise<Record<string, unknown>> => readObjectBody(request);

  switch (route) {
    case 'GET /__sim/state':
      sendJson(response, 200, simulator.state());
      return;
    case 'POST /__sim/state':
      sendJson(response, 200, await simulator.updateState(await readBody()));
      return;
    case 'POST /__sim/reset':
      sendJson(response, 200, await simulator.resetState());
      return;
    case 'GET /__sim/stats':
      sendJson(response, 200, simulator.stats.snapshot());
      return;
    case 'GET /__sim/cases':
      sendJson(response, 200, { items: store.listCases() });
      return;
    case 'PUT /__sim/cases': {
      const body = await readBody();
      if (!Array.isArray(body['cases'])) {
        throw new ControlRequestError('Send {"cases": [ <case as in GET /api/v1/cases> ]}.');
      }
      sendJson(response, 200, { bmsah: await store.upsert(body['cases'] as unknown[]) });
      return;
    }
    case 'DELETE /__sim/cases':
      await store.clear();
      sendJson(response, 200, { cases: 0 });
      return;
    case 'POST /__sim/cases/generate': {
      const body = await readBody();
      const count = readCount(body, 'count', MAX_GENERATED_CASES);
      const suspectsPerCase = body['suspectsPerCase'] === undefined ? simulator.config.suspectsPerCase : readCount(body, 'suspectsPerCase', 50);
      const bmsah = await store.generate(count, suspectsPerCase, readSeed(body));
      log('info', 'Generated cases', { count });
      sendJson(response, 200, { bmsah });
      return;
    }
    case 'POST /__sim/cases/change': {
      const body = await readBody();
      const changes = await store.change(readCount(body, 'count', MAX_GENERATED_CASES), readSeed(body));
      sendJson(response, 200, { bmsah: changes.map((change) => change.bmsah), changes });
      return;
    }
    case 'POST /__sim/cases/delete': {
      const body = await readBody();
      sendJson(response, 200, { bmsah: await store.delete(readCount(body, 'count', MAX_GENERATED_CASES), readSeed(body)) });
      return;
    }
    case 'GET /__sim/handlers':
      sendJson(response, 200, { items: store.listHandlers() });
      return;
    case 'PUT /__sim/handlers': {
      const handlers = readHandlers((await readBody())['handlers']);
      await store.replaceHandlers(handlers);
      sendJson(response, 200, { items: store.listHandlers() });
      return;
    }
    default:
      sendJson(response, 404, { error: `Unknown simulator route ${route}.` });
  }
}

async function readObjectBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJsonBody(request, MAX_CONTROL_BODY_BYTES);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ControlRequestError('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function readCount(body: Record<string, unknown>, key: string, maximum: number): number {
  const value = body[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maximum) {
    throw new ControlRequestError(`${key} must be an integer from 1 to ${maximum}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function readSeed(body: Record<string, unknown>): number | undefined {
  const value = body['seed'];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new ControlRequestError(`seed must be an integer from 0 to ${2 ** 32 - 1}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function readHandlers(value: unknown): Handler[] {
  if (!Array.isArray(value)) {
    throw new ControlRequestError('Send {"handlers": [ {gh, xm, dlzh, bm_bm, bm_mc} ]}.');
  }
  return value.map((item: unknown, index) => {
    const candidate = (item ?? {}) as Record<string, unknown>;
    for (const field of ['gh', 'xm', 'dlzh', 'bm_bm', 'bm_mc']) {
      if (typeof candidate[field] !== 'string') {
        throw new ControlRequestError(`handlers[${index}].${field} must be a string.`);
      }
    }
    return candidate as unknown as Handler;
  });
}
