import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startNvrSimulator, type NvrSimulator } from '../src/launch.js';

let nvr: NvrSimulator;

beforeAll(async () => {
  // 0.1 minutes: segments older than 6 s are deleted, checked every 1.5 s.
  nvr = await startNvrSimulator({ retentionMinutes: 0.1 });
});

afterAll(async () => {
  await nvr?.stop();
});

describe('retention', () => {
  it('deletes segments older than the retention period', async () => {
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 14_000));

    const runs = await nvr.recordings();
    const segmentFiles = await readdir(path.join(nvr.dataDir, 'segments'));

    expect(runs).toHaveLength(1);
    // The oldest segment left ended within the last 6 s plus one check interval, so it started at
    // most one 2-second segment earlier.
    const oldestStart = Date.parse(runs[0]!.from);
    expect(oldestStart).toBeGreaterThan(startedAt);
    expect(Date.now() - oldestStart).toBeLessThan(6_000 + 1_500 + 2_500);
    expect(segmentFiles.length).toBeLessThanOrEqual(6);
  });
});
