import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startYibananSimulator, type YibananSimulator } from '../src/launch.js';
import { ApiClient, buildPackage, generatedStream, parseJson, readProcessMemory, waitFor } from './helpers.js';

let dataDir: string;
let running: YibananSimulator | null = null;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'yibanan-persistence-test-'));
});

afterEach(async () => {
  await running?.stop();
  running = null;
  await rm(dataDir, { recursive: true, force: true });
});

async function start(port = 0): Promise<{ yibanan: YibananSimulator; api: ApiClient }> {
  const yibanan = await startYibananSimulator({ dataDir, port });
  running = yibanan;
  return { yibanan, api: new ApiClient(yibanan.baseUrl, yibanan.token) };
}

describe('restart', () => {
  it('keeps packages, progress, receipts and counters after SIGTERM', async () => {
    const first = await start();
    const accepted = buildPackage('TL-20-1-1', [5000]);
    const partial = buildPackage('TL-20-1-2', [8000, 2000]);
    await first.api.putManifest(accepted);
    await first.api.uploadAll(accepted, 2000);
    const receipt = parseJson(await first.api.commit(accepted.packageId));
    await first.api.putManifest(partial);
    await first.api.patch(partial.packageId, 0, 0, partial.files[0]!.content.subarray(0, 3000));
    const before = await first.yibanan.packages();
    await first.yibanan.stop();

    const second = await start(first.yibanan.port);

    expect(second.yibanan.port).toBe(first.yibanan.port);
    expect(await second.yibanan.packages()).toEqual(before);
    expect(parseJson(await second.api.commit(accepted.packageId))).toEqual(receipt);
    expect((await second.api.putManifest(partial)).status).toBe(200);
    const resumed = await second.api.patch(partial.packageId, 0, 3000, partial.files[0]!.content.subarray(3000));
    expect(resumed.status).toBe(204);
    await second.api.patch(partial.packageId, 1, 0, partial.files[1]!.content);
    expect((await second.api.commit(partial.packageId)).status).toBe(200);
    expect((await second.yibanan.getPackage(accepted.packageId))!.acceptCount).toBe(1);
  });

  it('keeps PATCH bytes cut by SIGKILL', async () => {
    const first = await start();
    const testPackage = buildPackage('TL-20-2-1', [200_000]);
    const content = testPackage.files[0]!.content;
    await first.api.putManifest(testPackage);
    const body = new Readable({ read() {} });
    body.push(content.subarray(0, 70_000));
    const upload = first.api.patch(testPackage.packageId, 0, 0, body, { 'Content-Length': String(content.length) });
    await waitFor(async () => (await first.yibanan.getPackage(testPackage.packageId))!.files[0]!.received === 70_000, '70 000 bytes');

    await first.yibanan.kill();
    expect((await upload).status).toBe(0);
    const second = await start();
    const status = parseJson<{ files: Array<{ received: number }> }>(await second.api.status(testPackage.packageId));
    const resumed = await second.api.patch(testPackage.packageId, 0, 70_000, content.subarray(70_000));

    expect(status.files[0]!.received).toBe(70_000);
    expect(resumed.status).toBe(204);
    expect((await second.api.commit(testPackage.packageId)).status).toBe(200);
    expect((await second.yibanan.fileContent(testPackage.packageId, 0)).equals(content)).toBe(true);
    expect((await second.yibanan.getPackage(testPackage.packageId))!.bytesReceivedTotal).toBe(200_000);
  });
});

describe('large upload', () => {
  it('streams a 200 MB PATCH to disk with low memory use', async () => {
    const { yibanan, api } = await start();
    const size = 200 * 1024 * 1024;
    // The manifest needs the SHA-256 before the upload, so the same bytes are generated twice.
    const block = randomBytes(1024 * 1024);
    const probe = generatedStream(size, block);
    probe.stream.resume();
    await new Promise((resolve) => probe.stream.on('end', resolve));
    const sha256 = probe.sha256();
    const testPackage = buildPackage('TL-20-3-1', [0]);
    testPackage.manifest['files'] = [{ path: 'video/large.mp4', kind: 'video', size, sha256 }];
    testPackage.body = JSON.stringify(testPackage.manifest);
    await api.putManifest(testPackage);

    const upload = generatedStream(size, block);
    const result = await api.patch(testPackage.packageId, 0, 0, upload.stream, { 'Content-Length': String(size) });
    const peakRss = await readProcessMemory(yibanan.pid, 'VmHWM');

    expect(upload.sha256()).toBe(sha256);
    expect(result.status).toBe(204);
    expect(result.headers['upload-offset']).toBe(String(size));
    expect((await yibanan.getPackage(testPackage.packageId))!.files[0]).toMatchObject({ complete: true, verifiedSha256: sha256 });
    // VmHWM is the peak resident memory over the process's life. The idle simulator (Node with tsx)
    // starts near 80 MB, so a body held in memory would go far past this bound.
    expect(peakRss).toBeLessThan(150 * 1024 * 1024);
  });
});
