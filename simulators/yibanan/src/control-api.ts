/**
 * The simulator's own API on the control port, without authentication:
 *
 *   GET    /__sim/state                                   current switches
 *   POST   /__sim/state                                   JSON patch of switches; 400 names an invalid field
 *   POST   /__sim/reset                                   all switches back to their defaults
 *   GET    /__sim/packages                                every package with its counters
 *   GET    /__sim/packages/{packageId}                    one package with its counters
 *   GET    /__sim/packages/{packageId}/files/{index}/content   the bytes stored for a file so far
 *   DELETE /__sim/packages                                delete every package
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { BodyTooLargeError, readBody, sendJson } from './http-util.js';
import type { PackageStore, StoredPackage } from './package-store.js';
import { StatePatchError, type SimState } from './sim-state.js';

export interface ControlContext {
  readonly store: PackageStore;
  state(): SimState;
  updateState(patch: unknown): Promise<SimState>;
  resetState(): Promise<SimState>;
}

const MAX_PATCH_BYTES = 64 * 1024;

export async function handleControlRequest(context: ControlContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://control.invalid');
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'GET /__sim/state':
      sendJson(response, 200, context.state());
      return;
    case 'POST /__sim/state':
      await updateState(context, request, response);
      return;
    case 'POST /__sim/reset':
      sendJson(response, 200, await context.resetState());
      return;
    case 'GET /__sim/packages':
      sendJson(response, 200, { packages: context.store.list().map(describePackage) });
      return;
    case 'DELETE /__sim/packages':
      sendJson(response, 200, { deleted: await context.store.clear() });
      return;
  }

  const packageMatch = /^\/__sim\/packages\/([^/]+)(?:\/files\/(\d+)\/content)?$/.exec(url.pathname);
  if (request.method === 'GET' && packageMatch) {
    const pkg = context.store.get(decodeURIComponent(packageMatch[1]!));
    if (!pkg) {
      sendJson(response, 404, { error: `Package ${packageMatch[1]} not found.` });
      return;
    }
    if (packageMatch[2] === undefined) {
      sendJson(response, 200, describePackage(pkg));
      return;
    }
    sendFileContent(pkg, Number(packageMatch[2]), response);
    return;
  }
  sendJson(response, 404, { error: `Unknown simulator route ${route}.` });
}

async function updateState(context: ControlContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const text = (await readBody(request, MAX_PATCH_BYTES)).toString('utf8');
    const patch: unknown = text.trim() === '' ? {} : JSON.parse(text);
    sendJson(response, 200, await context.updateState(patch));
  } catch (error) {
    if (error instanceof StatePatchError || error instanceof SyntaxError || error instanceof BodyTooLargeError) {
      sendJson(response, 400, { error: error.message });
      return;
    }
    throw error;
  }
}

/** Package counters for tests: acceptCount above 1 would mean a package was accepted twice. */
export function describePackage(pkg: StoredPackage): Record<string, unknown> {
  const record = pkg.record;
  return {
    packageId: record.packageId,
    state: record.state,
    receiptId: record.receiptId,
    announcedAt: record.announcedAt,
    acceptedAt: record.acceptedAt,
    manifestSha256: record.manifestSha256,
    acceptCount: record.acceptCount,
    commitCalls: record.commitCalls,
    bytesReceivedTotal: record.bytesReceivedTotal,
    files: pkg.manifest.files.map((file, index) => {
      const stored = record.files[index]!;
      return {
        index,
        path: file.path,
        kind: file.kind,
        size: file.size,
        sha256: file.sha256,
        received: stored.received,
        complete: stored.complete,
        verifiedSha256: stored.verifiedSha256,
      };
    }),
    manifest: pkg.manifest,
  };
}

function sendFileContent(pkg: StoredPackage, index: number, response: ServerResponse): void {
  const stored = pkg.record.files[index];
  if (!stored) {
    sendJson(response, 404, { error: `Package ${pkg.record.packageId} has no file ${index}.` });
    return;
  }
  response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stored.received });
  if (stored.received === 0) {
    response.end();
    return;
  }
  createReadStream(pkg.filePath(index), { start: 0, end: stored.received - 1 })
    .on('error', () => response.destroy())
    .pipe(response);
}
