import { Readable } from 'node:stream';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startYibananSimulator, type YibananSimulator } from '../src/launch.js';
import { ApiClient, buildPackage, parseJson, waitFor, type TestPackage } from './helpers.js';

let yibanan: YibananSimulator;
let api: ApiClient;

beforeAll(async () => {
  yibanan = await startYibananSimulator();
  api = new ApiClient(yibanan.baseUrl, yibanan.token);
});

afterAll(async () => {
  await yibanan?.stop();
});

beforeEach(async () => {
  await yibanan.reset();
  await yibanan.clearPackages();
});

async function announce(packageId: string, sizes: number[]): Promise<TestPackage> {
  const testPackage = buildPackage(packageId, sizes);
  const result = await api.putManifest(testPackage);
  expect(result.status).toBe(201);
  return testPackage;
}

async function receivedOf(packageId: string, index = 0): Promise<number> {
  return (await yibanan.getPackage(packageId))!.files[index]!.received;
}

describe('down', () => {
  it('refuses connections until switched off', async () => {
    const testPackage = await announce('TL-10-1-1', [100]);

    await yibanan.setState({ down: true });
    const refused = await api.status(testPackage.packageId);
    await yibanan.setState({ down: false });
    const served = await api.status(testPackage.packageId);

    expect(refused.status).toBe(0);
    expect(refused.error?.code).toBe('ECONNREFUSED');
    expect(served.status).toBe(200);
  });

  it('cuts a running upload and keeps the bytes that arrived', async () => {
    const testPackage = await announce('TL-10-1-2', [100_000]);
    const content = testPackage.files[0]!.content;
    const body = new Readable({ read() {} });
    body.push(content.subarray(0, 30_000));
    const upload = api.patch(testPackage.packageId, 0, 0, body, { 'Content-Length': String(content.length) });
    await waitFor(async () => (await receivedOf(testPackage.packageId)) === 30_000, '30 000 bytes stored');

    await yibanan.setState({ down: true });
    const cut = await upload;
    await yibanan.setState({ down: false });

    expect(cut.status).toBe(0);
    expect(await receivedOf(testPackage.packageId)).toBe(30_000);
  });
});

describe('slowBytesPerSecond', () => {
  it('reads PATCH bodies slowly until switched off', async () => {
    const testPackage = await announce('TL-10-2-1', [400_000]);
    await yibanan.setState({ slowBytesPerSecond: 50_000 });

    const upload = api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content);
    await waitFor(async () => (await receivedOf(testPackage.packageId)) > 0, 'the first throttled bytes');
    const whileSlow = await receivedOf(testPackage.packageId);
    await yibanan.setState({ slowBytesPerSecond: null });
    const result = await upload;

    // At 50 000 bytes/s the 400 000 bytes cannot have arrived by the first poll that saw any.
    expect(whileSlow).toBeLessThan(400_000);
    expect(result.status).toBe(204);
    expect(await receivedOf(testPackage.packageId)).toBe(400_000);
  });
});

describe('errorStatus', () => {
  it('fails every API request when errorEvery is 1', async () => {
    const testPackage = await announce('TL-10-3-1', [100]);
    await yibanan.setState({ errorStatus: 503 });

    const results = [
      await api.status(testPackage.packageId),
      await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content),
      await api.commit(testPackage.packageId),
      await api.putManifest(testPackage),
    ];

    expect(results.map((result) => result.status)).toEqual([503, 503, 503, 503]);
    expect(parseJson(results[0]!)).toMatchObject({ code: 'simulated-error' });
    expect(await receivedOf(testPackage.packageId)).toBe(0);
  });

  it('fails every Nth request with errorEvery', async () => {
    const testPackage = await announce('TL-10-3-2', [100]);
    await yibanan.setState({ errorStatus: 500, errorEvery: 3 });

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      statuses.push((await api.status(testPackage.packageId)).status);
    }

    expect(statuses).toEqual([200, 200, 500, 200, 200, 500]);
  });

  it('fails only the route named by errorRoute', async () => {
    const testPackage = await announce('TL-10-3-3', [100]);
    await yibanan.setState({ errorStatus: 502, errorRoute: 'commit' });

    const patched = await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content);
    const committed = await api.commit(testPackage.packageId);

    expect(patched.status).toBe(204);
    expect(committed.status).toBe(502);
    expect((await yibanan.getPackage(testPackage.packageId))!.state).toBe('receiving');
  });
});

describe('dropAfterBytes', () => {
  it('drops one PATCH, keeps its bytes', async () => {
    const testPackage = await announce('TL-10-4-1', [300_000]);
    const content = testPackage.files[0]!.content;
    await yibanan.setState({ dropAfterBytes: 123_456 });

    const dropped = await api.patch(testPackage.packageId, 0, 0, content);
    const status = parseJson<{ files: Array<{ received: number }> }>(await api.status(testPackage.packageId));
    const resumed = await api.patch(testPackage.packageId, 0, 123_456, content.subarray(123_456));

    expect(dropped.status).toBe(0);
    expect(dropped.error).not.toBeNull();
    expect(status.files[0]!.received).toBe(123_456);
    expect((await yibanan.getState()).dropAfterBytes).toBeNull();
    expect(resumed.status).toBe(204);
    expect((await api.commit(testPackage.packageId)).status).toBe(200);
    expect((await yibanan.getPackage(testPackage.packageId))!.bytesReceivedTotal).toBe(300_000);
  });

  it('drops every PATCH while dropEvery is on', async () => {
    const testPackage = await announce('TL-10-4-2', [100_000]);
    const content = testPackage.files[0]!.content;
    await yibanan.setState({ dropAfterBytes: 40_000, dropEvery: true });

    const first = await api.patch(testPackage.packageId, 0, 0, content);
    const second = await api.patch(testPackage.packageId, 0, 40_000, content.subarray(40_000));
    const third = await api.patch(testPackage.packageId, 0, 80_000, content.subarray(80_000));

    expect([first.status, second.status]).toEqual([0, 0]);
    expect(third.status).toBe(204);
    expect(await receivedOf(testPackage.packageId)).toBe(100_000);
    expect((await yibanan.getState()).dropAfterBytes).toBe(40_000);
  });
});

describe('malformed', () => {
  it('truncates JSON responses with bad-json', async () => {
    const testPackage = await announce('TL-10-5-1', [100]);
    await yibanan.setState({ malformed: 'bad-json' });

    const result = await api.status(testPackage.packageId);

    expect(result.status).toBe(200);
    expect(result.text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(result.text)).toThrow(SyntaxError);
  });

  it('puts a wrong sha256 in the receipt with wrong-receipt-hash', async () => {
    const testPackage = await announce('TL-10-5-2', [1000, 10]);
    await api.uploadAll(testPackage, 1000);
    await yibanan.setState({ malformed: 'wrong-receipt-hash' });

    const receipt = parseJson<{ files: Array<{ sha256: string }> }>(await api.commit(testPackage.packageId));

    expect(receipt.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(receipt.files[0]!.sha256).not.toBe(testPackage.files[0]!.sha256);
    expect(receipt.files[1]!.sha256).toBe(testPackage.files[1]!.sha256);
    expect((await yibanan.getPackage(testPackage.packageId))!.files[0]!.verifiedSha256).toBe(testPackage.files[0]!.sha256);
  });

  it('reports a wrong received value once with wrong-offset', async () => {
    const testPackage = await announce('TL-10-5-3', [1000]);
    await api.patch(testPackage.packageId, 0, 0, testPackage.files[0]!.content.subarray(0, 500));
    await yibanan.setState({ malformed: 'wrong-offset' });

    const wrong = parseJson<{ files: Array<{ received: number }> }>(await api.status(testPackage.packageId));
    const right = parseJson<{ files: Array<{ received: number }> }>(await api.status(testPackage.packageId));
    const patchAtWrong = await api.patch(testPackage.packageId, 0, wrong.files[0]!.received, testPackage.files[0]!.content.subarray(501));

    expect(wrong.files[0]!.received).not.toBe(500);
    expect(right.files[0]!.received).toBe(500);
    expect((await yibanan.getState()).malformed).toBeNull();
    expect(patchAtWrong.status).toBe(409);
    expect(patchAtWrong.headers['upload-offset']).toBe('500');
  });
});

describe('control API', () => {
  it('resets every switch', async () => {
    await yibanan.setState({ errorStatus: 503, errorEvery: 2, slowBytesPerSecond: 10, dropAfterBytes: 5, dropEvery: true, malformed: 'bad-json' });

    const state = await yibanan.reset();

    expect(state).toEqual({
      down: false,
      slowBytesPerSecond: null,
      errorStatus: null,
      errorEvery: 1,
      errorRoute: null,
      dropAfterBytes: null,
      dropEvery: false,
      malformed: null,
    });
  });

  it.each([
    [{ errorStatus: 200 }, /errorStatus/],
    [{ errorEvery: 0 }, /errorEvery/],
    [{ malformed: 'truncated' }, /malformed/],
    [{ down: 'yes' }, /down/],
    [{ offline: true }, /Unknown switch "offline"/],
  ])('rejects the patch %j with 400', async (patch, reason) => {
    const response = await fetch(`${yibanan.controlUrl}/__sim/state`, { method: 'POST', body: JSON.stringify(patch) });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(reason);
  });

  it('deletes every package with DELETE /__sim/packages', async () => {
    await announce('TL-10-6-1', [10]);
    await announce('TL-10-6-2', [10]);

    const deleted = await yibanan.clearPackages();

    expect(deleted).toBe(2);
    expect(await yibanan.packages()).toEqual([]);
    expect((await api.status('TL-10-6-1')).status).toBe(404);
  });
});
