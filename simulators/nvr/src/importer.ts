/**
 * Adds an existing video file to the simulated NVR as if it had been recorded from time `at`.
 *
 * The file's first video stream is copied (no re-encode) into 10-second MPEG-TS segments, which
 * replace whatever the NVR had recorded over the same time range.
 */
import { mkdtemp, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import { log } from './log.js';
import { runProcess } from './run-process.js';
import type { SegmentRecord, SegmentStore } from './segment-store.js';
import { PTS_HZ, ptsDifference, scanTransportStream } from './ts-scan.js';

export interface ImportResult {
  fromMs: number;
  toMs: number;
  segments: number;
}

export class ImportError extends Error {}

const IMPORT_SEGMENT_SECONDS = 10;
const SUPPORTED_CODECS = new Set(['h264', 'hevc']);

export async function importRecording(
  store: SegmentStore,
  tools: { ffmpegPath: string; ffprobePath: string },
  sourcePath: string,
  atMs: number,
): Promise<ImportResult> {
  const codec = await probeVideoCodec(tools.ffprobePath, sourcePath);
  if (!SUPPORTED_CODECS.has(codec)) {
    throw new ImportError(`${sourcePath}: video codec "${codec}" is not supported. Import H.264 or H.265.`);
  }

  const stagingDir = await mkdtemp(path.join(store.dataDir, 'import-'));
  try {
    const segmentation = await runProcess(tools.ffmpegPath, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-i',
      sourcePath,
      '-map',
      '0:v:0',
      '-c',
      'copy',
      '-f',
      'segment',
      '-segment_time',
      String(IMPORT_SEGMENT_SECONDS),
      '-segment_format',
      'mpegts',
      '-reset_timestamps',
      '0',
      path.join(stagingDir, '%05d.ts'),
    ]);
    if (segmentation.exitCode !== 0) {
      throw new ImportError(`ffmpeg could not segment ${sourcePath}: ${segmentation.stderr.trim()}`);
    }

    const stagedFiles = (await readdir(stagingDir)).filter((name) => name.endsWith('.ts')).sort();
    const placed = await placeSegments(store, stagingDir, stagedFiles, atMs);
    if (placed.length === 0) {
      throw new ImportError(`${sourcePath} contains no video frames.`);
    }

    const fromMs = placed[0]!.startMs;
    const toMs = placed.at(-1)!.endMs;
    await store.removeOverlapping(fromMs, toMs, 'all');
    for (const record of placed) {
      await store.add(record);
    }
    // The recorder may have closed a segment in this range while the import ran.
    await store.removeOverlapping(fromMs, toMs, 'recorded');

    log('info', 'Recording imported', { sourcePath, fromMs, toMs, segments: placed.length });
    return { fromMs, toMs, segments: placed.length };
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}

/** Moves staged segments into the store's folder under time-based names and describes them. */
async function placeSegments(
  store: SegmentStore,
  stagingDir: string,
  stagedFiles: readonly string[],
  atMs: number,
): Promise<SegmentRecord[]> {
  const importId = Date.now().toString(36);
  const records: SegmentRecord[] = [];
  let sourceFirstPts: number | null = null;

  for (const [index, stagedName] of stagedFiles.entries()) {
    const stagedPath = path.join(stagingDir, stagedName);
    const firstFrame = scanTransportStream(await readFile(stagedPath)).frames[0];
    if (!firstFrame) {
      continue;
    }
    sourceFirstPts ??= firstFrame.pts;
    const firstPtsOfSource = sourceFirstPts;
    const startMs = atMs + (ptsDifference(firstFrame.pts, firstPtsOfSource) * 1000) / PTS_HZ;

    const stamp = new Date(startMs).toISOString().replace(/[-:]/g, '');
    const file = `ch1-${stamp}-imp${importId}-${String(index).padStart(5, '0')}.ts`;
    await rename(stagedPath, path.join(store.segmentDir, file));

    const record = await store.describeSegmentFile(
      file,
      (pts) => atMs + (ptsDifference(pts, firstPtsOfSource) * 1000) / PTS_HZ,
      true,
    );
    if (record) {
      records.push(record);
    }
  }

  return records;
}

async function probeVideoCodec(ffprobePath: string, sourcePath: string): Promise<string> {
  const probe = await runProcess(ffprobePath, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'default=noprint_wrappers=1:nokey=1',
    sourcePath,
  ]);
  // MPEG-TS input lists the stream once per program as well, so only the first line counts.
  const codec = probe.stdout.trim().split('\n')[0]?.trim() ?? '';
  if (probe.exitCode !== 0 || codec === '') {
    throw new ImportError(`${sourcePath} is not a readable video file: ${probe.stderr.trim() || 'no video stream'}`);
  }
  return codec;
}
