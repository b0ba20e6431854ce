import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startNvrSimulator, type NvrSimulator } from '../src/launch.js';
import { dahuaQueryTime, digestGet, findFiles, probeMedia, runCommand, type Credentials } from './helpers.js';

const credentials: Credentials = { username: 'admin', password: 'admin123' };
let nvr: NvrSimulator;
let scratchDir: string;
let sourcePath: string;
/** Start of the imported recording: half an hour before the test, well inside the retention. */
const importedAt = new Date(Math.floor((Date.now() - 1_800_000) / 1000) * 1000);

beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(os.tmpdir(), 'nvr-import-test-'));
  sourcePath = path.join(scratchDir, 'source.mp4');
  // 12 s of 640x360 at 25 frames/s with a keyframe every 2 s, like a camera recording.
  const generated = await runCommand('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=12',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1', '-bf', '0', '-g', '50', '-pix_fmt', 'yuv420p',
    sourcePath,
  ]);
  expect(generated.exitCode, generated.stderr).toBe(0);
  nvr = await startNvrSimulator({ ...credentials });
});

afterAll(async () => {
  await nvr?.stop();
  await rm(scratchDir, { recursive: true, force: true });
});

describe('POST /__sim/import', () => {
  it('adds the file as recording at the given time', async () => {
    const imported = await nvr.importRecording(sourcePath, importedAt);

    expect(Date.parse(imported.from)).toBe(importedAt.getTime());
    expect(Date.parse(imported.to) - importedAt.getTime()).toBeGreaterThan(11_500);
    expect(Date.parse(imported.to) - importedAt.getTime()).toBeLessThan(12_500);
  });

  it('serves a range of the import through loadfile.cgi', async () => {
    await nvr.importRecording(sourcePath, importedAt);
    const from = new Date(importedAt.getTime() + 2_000);
    const to = new Date(importedAt.getTime() + 8_000);

    const result = await digestGet(
      nvr.baseUrl,
      `/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=${dahuaQueryTime(from)}&endTime=${dahuaQueryTime(to)}`,
      credentials,
    );

    expect(result.status).toBe(200);
    const clipPath = path.join(scratchDir, 'imported-clip.ts');
    await writeFile(clipPath, result.body);
    const probe = await probeMedia(clipPath);
    expect(probe.width).toBe(640);
    // The keyframe at +2 s starts the clip, so the cut is exactly 6 s (150 frames).
    expect(probe.packets).toBe(150);
  });

  it('lists the import in mediaFileFind.cgi', async () => {
    await nvr.importRecording(sourcePath, importedAt);

    const items = await findFiles(
      nvr.baseUrl,
      credentials,
      new Date(importedAt.getTime() - 60_000),
      new Date(importedAt.getTime() + 60_000),
    );

    expect(items).toHaveLength(1);
    expect(items[0]!['Duration']).toBe('12');
  });

  it('rejects a file without video', async () => {
    const textPath = path.join(scratchDir, 'notes.txt');
    await writeFile(textPath, 'not a video');

    const response = await fetch(`${nvr.baseUrl}/__sim/import`, {
      method: 'POST',
      body: JSON.stringify({ file: textPath, at: importedAt.toISOString() }),
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('notes.txt');
  });
});
