import http from 'node:http';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startYibananSimulator, type YibananSimulator } from '../src/launch.js';
import { ApiClient, buildPackage, parseJson, sha256Hex, waitFor } from './helpers.js';

let yibanan: YibananSimulator;
let api: ApiClient;

beforeAll(async () => {
  yibanan = await startYibananSimulator({ token: 'tok-yibanan-1' });
  api = new ApiClient(yibanan.baseUrl, yibanan.token);
});

afterAll(async () => {
  await yibanan?.stop();
});

beforeEach(async () => {
  await yibanan.reset();
  await yibanan.clearPackages();
});

interface Status {
  packageId: string;
  state: string;
  receiptId: string | null;
  files: Array<{ index: number; path: string; size: number; received: number; complete: boolean }>;
}

interface Receipt {
  state: string;
  receiptId: string;
  files: Array<{ path: string; sha256: string }>;
}

describe('happy path', () => {
  it('accepts two files sent in several chunks', async () => {
    const testPackage = buildPackage('TL-320583-42-1', [250_000, 70_000]);

    const announced = await api.putManifest(testPackage);
    expect(announced.status).toBe(201);
    expect(parseJson<Status>(announced).files.map((file) => file.received)).toEqual([0, 0]);

    await api.uploadAll(testPackage, 64 * 1024);
    const status = parseJson<Status>(await api.status(testPackage.packageId));
    expect(status.state).toBe('receiving');
    expect(status.files).toEqual([
      { index: 0, path: testPackage.files[0]!.path, size: 250_000, received: 250_000, complete: true },
      { index: 1, path: testPackage.files[1]!.path, size: 70_000, received: 70_000, complete: true },
    ]);

    const committed = await api.commit(testPackage.packageId);
    expect(committed.status).toBe(200);
    const receipt = parseJson<Receipt>(committed);
    expect(receipt.state).toBe('accepted');
    expect(receipt.receiptId).toMatch(/^YBA-\d{8}-[0-9A-F]{12}$/);
    expect(receipt.files.map((file) => [file.path, file.sha256])).toEqual(testPackage.files.map((file) => [file.path, file.sha256]));

    const stored = await yibanan.getPackage(testPackage.packageId);
    expect(stored!.acceptCount).toBe(1);
    expect(stored!.bytesReceivedTotal).toBe(320_000);
    expect(stored!.files.map((file) => file.verifiedSha256)).toEqual(testPackage.files.map((file) => file.sha256));
    expect((await yibanan.fileContent(testPackage.packageId, 0)).equals(testPackage.files[0]!.content)).toBe(true);
    expect((await yibanan.fileContent(testPackage.packageId, 1)).equals(testPackage.files[1]!.content)).toBe(true);
  });

  it('returns the new offset in Upload-Offset', async () => {
    const testPackage = buildPackage('TL-1-1-1', [1000]);
    await api.putManifest(testPackage);

    const result = await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content.subarray(0, 400));

    expect(result.status).toBe(204);
    expect(result.headers['upload-offset']).toBe('400');
  });

  it('accepts a chunked PATCH without Content-Length', async () => {
    const testPackage = buildPackage('TL-1-1-2', [300_000]);
    await api.putManifest(testPackage);

    const result = await api.patch(testPackage.packageId, 0, 0, Readable.from([testPackage.files[0]!.content]));

    expect(result.status).toBe(204);
    expect(result.headers['upload-offset']).toBe('300000');
  });

  it('treats an empty file as complete at once', async () => {
    const testPackage = buildPackage('TL-1-1-3', [10, 0]);
    await api.putManifest(testPackage);
    await api.uploadAll(testPackage, 10);

    const status = parseJson<Status>(await api.status(testPackage.packageId));
    const committed = await api.commit(testPackage.packageId);

    expect(status.files[1]).toMatchObject({ size: 0, received: 0, complete: true });
    expect(committed.status).toBe(200);
  });
});

describe('idempotency', () => {
  it('returns 200 for a repeated PUT', async () => {
    const testPackage = buildPackage('TL-2-1-1', [100]);

    const first = await api.putManifest(testPackage);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content.subarray(0, 40));
    const second = await api.putManifest(testPackage);

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(parseJson<Status>(second).files[0]!.received).toBe(40);
  });

  it('returns the same receipt for a repeated commit', async () => {
    const testPackage = buildPackage('TL-2-1-2', [5000, 3000]);
    await api.putManifest(testPackage);
    await api.uploadAll(testPackage, 2000);

    const first = parseJson<Receipt>(await api.commit(testPackage.packageId));
    const second = parseJson<Receipt>(await api.commit(testPackage.packageId));
    const concurrent = await Promise.all([api.commit(testPackage.packageId), api.commit(testPackage.packageId)]);

    expect(second).toEqual(first);
    expect(concurrent.map((result) => parseJson<Receipt>(result).receiptId)).toEqual([first.receiptId, first.receiptId]);
    const stored = await yibanan.getPackage(testPackage.packageId);
    expect(stored!.acceptCount).toBe(1);
    expect(stored!.commitCalls).toBe(4);
  });

  it('accepts only once when commits race', async () => {
    const testPackage = buildPackage('TL-2-1-3', [5000]);
    await api.putManifest(testPackage);
    await api.uploadAll(testPackage, 5000);

    const results = await Promise.all(Array.from({ length: 5 }, () => api.commit(testPackage.packageId)));

    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(results.map((result) => parseJson<Receipt>(result).receiptId)).size).toBe(1);
    expect((await yibanan.getPackage(testPackage.packageId))!.acceptCount).toBe(1);
  });

  it('returns accepted status on a later PUT', async () => {
    const testPackage = buildPackage('TL-2-1-4', [100]);
    await api.putManifest(testPackage);
    await api.uploadAll(testPackage, 100);
    const receipt = parseJson<Receipt>(await api.commit(testPackage.packageId));

    const again = await api.putManifest(testPackage);

    expect(again.status).toBe(200);
    expect(parseJson<Status>(again)).toMatchObject({ state: 'accepted', receiptId: receipt.receiptId });
  });
});

describe('conflicts', () => {
  it('rejects a different manifest for an existing id with 409', async () => {
    const testPackage = buildPackage('TL-3-1-1', [100]);
    const other = buildPackage('TL-3-1-1', [200]);
    await api.putManifest(testPackage);

    const result = await api.putManifest(other);

    expect(result.status).toBe(409);
    expect(parseJson(result)).toMatchObject({ code: 'manifest-conflict', manifestSha256: sha256Hex(Buffer.from(testPackage.body)) });
    expect((await yibanan.getPackage('TL-3-1-1'))!.files[0]!.size).toBe(100);
  });

  it('rejects a PATCH at the wrong offset with the current offset', async () => {
    const testPackage = buildPackage('TL-3-1-2', [1000]);
    await api.putManifest(testPackage);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content.subarray(0, 300));

    const result = await api.patch(testPackage.packageId, 0, 200, testPackage.files[0]!.content.subarray(200, 500));

    expect(result.status).toBe(409);
    expect(result.headers['upload-offset']).toBe('300');
    expect(parseJson(result)).toMatchObject({ code: 'offset-mismatch', uploadOffset: 300 });
    expect((await yibanan.getPackage(testPackage.packageId))!.files[0]!.received).toBe(300);
  });

  it('rejects a commit of an incomplete package with the missing files', async () => {
    const testPackage = buildPackage('TL-3-1-3', [1000, 500]);
    await api.putManifest(testPackage);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content);
    await api.patch(testPackage.packageId, 1, 0, testPackage.files[1]!.content.subarray(0, 100));

    const result = await api.commit(testPackage.packageId);

    expect(result.status).toBe(409);
    expect(parseJson(result)).toMatchObject({
      code: 'package-incomplete',
      missingFiles: [{ index: 1, path: testPackage.files[1]!.path, size: 500, received: 100 }],
    });
    const stored = await yibanan.getPackage(testPackage.packageId);
    expect(stored!.state).toBe('receiving');
    expect(stored!.acceptCount).toBe(0);
  });
});

describe('hash and length checks', () => {
  it('discards a file whose SHA-256 does not match with 422', async () => {
    const testPackage = buildPackage('TL-4-1-1', [2000]);
    await api.putManifest(testPackage);
    const corrupted = Buffer.from(testPackage.files[0]!.content);
    corrupted[1500] = corrupted[1500]! ^ 0xff;
    await api.patch(testPackage.packageId, 0, 0, corrupted.subarray(0, 1000));

    const result = await api.patch(testPackage.packageId, 0, 1000, corrupted.subarray(1000));

    expect(result.status).toBe(422);
    expect(result.headers['upload-offset']).toBe('0');
    expect(parseJson(result)).toMatchObject({ code: 'hash-mismatch', uploadOffset: 0 });
    const stored = await yibanan.getPackage(testPackage.packageId);
    expect(stored!.files[0]).toMatchObject({ received: 0, complete: false, verifiedSha256: null });

    await api.uploadAll(testPackage, 2000);
    expect((await api.commit(testPackage.packageId)).status).toBe(200);
    expect((await yibanan.getPackage(testPackage.packageId))!.bytesReceivedTotal).toBe(4000);
  });

  it('rejects a Content-Length beyond the file size with 413', async () => {
    const testPackage = buildPackage('TL-4-1-2', [1000]);
    await api.putManifest(testPackage);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content.subarray(0, 600));

    const result = await api.patch(testPackage.packageId, 0, 600, Buffer.alloc(500));

    expect(result.status).toBe(413);
    expect(result.headers['upload-offset']).toBe('600');
    expect((await yibanan.getPackage(testPackage.packageId))!.files[0]!.received).toBe(600);
  });

  it('rejects bytes for a verified file with 413', async () => {
    const testPackage = buildPackage('TL-4-1-4', [1000]);
    await api.putManifest(testPackage);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content);

    const empty = await api.patch(testPackage.packageId, 0, 1000, Buffer.alloc(0));
    const extra = await api.patch(testPackage.packageId, 0, 1000, Buffer.alloc(10));

    expect(empty.status).toBe(204);
    expect(empty.headers['upload-offset']).toBe('1000');
    expect(extra.status).toBe(413);
    expect((await yibanan.getPackage(testPackage.packageId))!.files[0]).toMatchObject({ received: 1000, complete: true });
  });

  it('discards a chunked body that runs past the file size', async () => {
    const testPackage = buildPackage('TL-4-1-3', [100_000]);
    await api.putManifest(testPackage);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content.subarray(0, 10_000));
    const tooLong = Buffer.concat([testPackage.files[0]!.content.subarray(10_000), Buffer.alloc(5000)]);

    const result = await api.patch(testPackage.packageId, 0, 10_000, Readable.from([tooLong.subarray(0, 50_000), tooLong.subarray(50_000)]));

    expect(result.status).toBe(413);
    expect(result.headers['upload-offset']).toBe('10000');
    expect((await yibanan.getPackage(testPackage.packageId))!.files[0]!.received).toBe(10_000);
    // The hash of the kept bytes is still right: the rest of the file completes and verifies.
    const rest = await api.patch(testPackage.packageId, 0, 10_000, testPackage.files[0]!.content.subarray(10_000));
    expect(rest.status).toBe(204);
    expect((await api.commit(testPackage.packageId)).status).toBe(200);
  });
});

describe('request validation', () => {
  it('rejects a missing or wrong token with 401', async () => {
    const testPackage = buildPackage('TL-5-1-1', [10]);
    const anonymous = new ApiClient(yibanan.baseUrl, null);
    const wrong = new ApiClient(yibanan.baseUrl, 'tok-yibanan-2');

    const results = [await anonymous.putManifest(testPackage), await wrong.putManifest(testPackage), await wrong.status('TL-5-1-1')];

    expect(results.map((result) => result.status)).toEqual([401, 401, 401]);
    expect(results[0]!.headers['www-authenticate']).toBe('Bearer');
    expect(parseJson(results[0]!)).toMatchObject({ code: 'unauthorized' });
    expect(await yibanan.packages()).toEqual([]);
  });

  it.each([
    ['not JSON', '{"packageId":', /JSON/],
    ['another packageId', { packageId: 'TL-other' }, /packageId/],
    ['unknown kind', { kind: 'video' }, /kind/],
    ['supplement without followsPackageId', { kind: 'supplement' }, /followsPackageId/],
    ['createdAt without offset', { createdAt: '2026-03-01T10:40:00' }, /createdAt/],
    ['missing bmsah', { case: { ajmc: '王某某盗窃案' } }, /bmsah/],
    ['no files', { files: [] }, /files/],
    ['path with ..', { files: [{ path: '../x.mp4', kind: 'video', size: 1, sha256: 'a'.repeat(64) }] }, /path/],
    ['negative size', { files: [{ path: 'x.mp4', kind: 'video', size: -1, sha256: 'a'.repeat(64) }] }, /size/],
    ['short sha256', { files: [{ path: 'x.mp4', kind: 'video', size: 1, sha256: 'abc' }] }, /sha256/],
    [
      'duplicate path',
      {
        files: [
          { path: 'x.mp4', kind: 'video', size: 1, sha256: 'a'.repeat(64) },
          { path: 'x.mp4', kind: 'video', size: 1, sha256: 'a'.repeat(64) },
        ],
      },
      /重复/,
    ],
  ])('rejects a manifest with %s with 400', async (_case, change, reason) => {
    const testPackage = buildPackage('TL-5-2-1', [10]);
    const body = typeof change === 'string' ? change : JSON.stringify({ ...testPackage.manifest, ...change });

    const result = await api.putManifest(testPackage, body);

    expect(result.status).toBe(400);
    const error = parseJson<{ code: string; message: string }>(result);
    expect(error.code).toBe('invalid-manifest');
    expect(error.message).toMatch(reason);
    expect(await yibanan.packages()).toEqual([]);
  });

  it('accepts a supplement that names the package it follows', async () => {
    const testPackage = buildPackage('TL-5-3-2', [10], { kind: 'supplement', followsPackageId: 'TL-5-3-1' });

    expect((await api.putManifest(testPackage)).status).toBe(201);
  });

  it('returns 404 for unknown package or file', async () => {
    const testPackage = buildPackage('TL-5-4-1', [10]);
    await api.putManifest(testPackage);

    expect((await api.status('TL-unknown')).status).toBe(404);
    expect((await api.commit('TL-unknown')).status).toBe(404);
    expect((await api.patch('TL-unknown', 0, 0, Buffer.alloc(1))).status).toBe(404);
    expect((await api.patch(testPackage.packageId, 1, 0, Buffer.alloc(1))).status).toBe(404);
  });

  it('rejects a PATCH without Upload-Offset or with another Content-Type', async () => {
    const testPackage = buildPackage('TL-5-5-1', [10]);
    await api.putManifest(testPackage);

    const withoutOffset = await api.send('PATCH', '/api/v1/packages/TL-5-5-1/files/0', {}, Buffer.alloc(5));
    const asJson = await api.patch(testPackage.packageId, 0, 0, Buffer.alloc(5), { 'Content-Type': 'application/json' });

    expect(withoutOffset.status).toBe(400);
    expect(parseJson(withoutOffset)).toMatchObject({ code: 'invalid-upload-offset' });
    expect(asJson.status).toBe(415);
  });

  it('rejects a package id with characters outside the allowed set', async () => {
    const result = await api.send('GET', `/api/v1/packages/${encodeURIComponent('TL/../x')}`, {});

    expect(result.status).toBe(400);
    expect(parseJson(result)).toMatchObject({ code: 'invalid-package-id' });
  });
});

describe('Expect: 100-continue', () => {
  it('rejects before the body is sent', async () => {
    const testPackage = buildPackage('TL-5-6-1', [1000]);
    await api.putManifest(testPackage);

    const outcome = await new Promise<{ status: number; sentBody: boolean }>((resolve, reject) => {
      let sentBody = false;
      const request = http.request(`${yibanan.baseUrl}/api/v1/packages/${testPackage.packageId}/files/0`, {
        method: 'PATCH',
        agent: false,
        headers: {
          Authorization: `Bearer ${yibanan.token}`,
          'Upload-Offset': '500',
          'Content-Length': '500',
          Expect: '100-continue',
        },
      });
      request.on('continue', () => {
        sentBody = true;
        request.end(Buffer.alloc(500));
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, sentBody }));
      });
      request.on('error', reject);
      request.flushHeaders();
    });

    expect(outcome.status).toBe(409);
    expect(outcome.sentBody).toBe(false);
  });

  it('sends 100 Continue to a valid PATCH', async () => {
    const testPackage = buildPackage('TL-5-6-2', [1000]);
    await api.putManifest(testPackage);

    const result = await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content, { Expect: '100-continue' });

    expect(result.status).toBe(204);
    expect(result.headers['upload-offset']).toBe('1000');
  });
});

describe('concurrent PATCH', () => {
  it('lets a new PATCH on the same file end the running one', async () => {
    const testPackage = buildPackage('TL-6-1-1', [200_000]);
    await api.putManifest(testPackage);
    const content = testPackage.files[0]!.content;
    const stalled = new Readable({ read() {} });
    stalled.push(content.subarray(0, 50_000));
    const stalledResult = api.patch(testPackage.packageId, 0, 0, stalled, { 'Content-Length': String(content.length) });
    await waitFor(async () => (await yibanan.getPackage(testPackage.packageId))!.files[0]!.received >= 50_000, 'the first 50 000 bytes');

    const resumed = await api.patch(testPackage.packageId, 0, 50_000, content.subarray(50_000));

    expect(resumed.status).toBe(204);
    expect((await stalledResult).status).toBe(0);
    expect((await api.commit(testPackage.packageId)).status).toBe(200);
  });
});
