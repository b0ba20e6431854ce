/**
 * The simulated NVR's disk: MPEG-TS segment files plus an index of their exact start and end times.
 *
 * Layout of the data folder:
 *   segments/*.ts   One file per segment. Names carry the start time, but the index is authoritative.
 *   index.jsonl     One SegmentRecord per line, appended as segments close and rewritten on pruning.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { log } from './log.js';
import type { GapMs } from './sim-state.js';
import { PTS_HZ, ptsDifference, scanTransportStream, STREAM_TYPE_HEVC, type TsScanResult } from './ts-scan.js';

export interface SegmentRecord {
  /** File name inside segments/. */
  file: string;
  /** Real (not device-clock) time of the first frame, epoch ms. */
  startMs: number;
  /** Real time just after the last frame (its PTS plus one frame duration), epoch ms. */
  endMs: number;
  bytes: number;
  /** 90 kHz PTS of the first frame. A frame inside the segment is at startMs + (pts - firstPts) / 90. */
  firstPts: number;
  codec: 'h264' | 'hevc';
  /** Imported recordings are kept past the retention period and replace recorded segments they overlap. */
  imported: boolean;
}

export interface RecordingRun {
  fromMs: number;
  toMs: number;
  bytes: number;
}

export interface ClipPlan {
  ranges: ByteRange[];
  /** Codec of the first segment in the clip. */
  codec: 'h264' | 'hevc';
}

export interface ByteRange {
  filePath: string;
  start: number;
  /** Exclusive. */
  end: number;
}

/** Segments closer than this are one continuous recording (frame timing jitters by a few ms). */
const RUN_MERGE_TOLERANCE_MS = 1_000;

/** A keyframe this close to the requested start counts as "at" the start. */
const KEYFRAME_TOLERANCE_MS = 1;

export class SegmentStore {
  readonly segmentDir: string;
  private readonly indexPath: string;
  private segments: SegmentRecord[] = [];

  constructor(readonly dataDir: string) {
    this.segmentDir = path.join(dataDir, 'segments');
    this.indexPath = path.join(dataDir, 'index.jsonl');
  }

  /** Loads index.jsonl, dropping records whose files are gone, and deletes unindexed leftovers. */
  async load(): Promise<void> {
    await mkdir(this.segmentDir, { recursive: true });

    let text = '';
    try {
      text = await readFile(this.indexPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }

    const records: SegmentRecord[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') {
        continue;
      }
      try {
        const record = JSON.parse(line) as SegmentRecord;
        if (existsSync(this.pathOf(record))) {
          records.push(record);
        }
      } catch {
        log('warn', 'Skipped an unreadable line in index.jsonl', { line: line.slice(0, 200) });
      }
    }
    this.segments = records.sort((a, b) => a.startMs - b.startMs);
    await this.rewriteIndex();
  }

  /** Deletes segment files that the index does not list (for example a segment open at a crash). */
  async removeUnindexedFiles(keep: ReadonlySet<string> = new Set()): Promise<void> {
    const indexed = new Set(this.segments.map((segment) => segment.file));
    for (const name of await readdir(this.segmentDir)) {
      if (!indexed.has(name) && !keep.has(name)) {
        await rm(path.join(this.segmentDir, name), { force: true });
      }
    }
  }

  pathOf(segment: SegmentRecord): string {
    return path.join(this.segmentDir, segment.file);
  }

  has(file: string): boolean {
    return this.segments.some((segment) => segment.file === file);
  }

  count(): number {
    return this.segments.length;
  }

  /**
   * Reads a closed segment file and builds its record.
   * `ptsToRealMs` maps the first frame's PTS to a real instant.
   */
  async describeSegmentFile(
    file: string,
    ptsToRealMs: (firstPts: number) => number,
    imported: boolean,
  ): Promise<SegmentRecord | null> {
    const filePath = path.join(this.segmentDir, file);
    const buffer = await readFile(filePath);
    const scan = scanTransportStream(buffer);
    const first = scan.frames[0];
    const last = scan.frames.at(-1);
    if (!first || !last) {
      return null;
    }

    const frameTicks = estimateFrameTicks(scan);
    const startMs = ptsToRealMs(first.pts);
    const spanTicks = ptsDifference(last.pts, first.pts) + frameTicks;
    return {
      file,
      startMs,
      endMs: startMs + (spanTicks * 1000) / PTS_HZ,
      bytes: buffer.length,
      firstPts: first.pts,
      codec: scan.videoStreamType === STREAM_TYPE_HEVC ? 'hevc' : 'h264',
      imported,
    };
  }

  /**
   * Adds a closed segment. A recorded segment that overlaps an imported one is deleted instead,
   * because the import replaces what the NVR recorded at that time. Returns whether it was added.
   */
  async add(record: SegmentRecord): Promise<boolean> {
    if (!record.imported && this.overlapping(record.startMs, record.endMs).some((segment) => segment.imported)) {
      await rm(this.pathOf(record), { force: true });
      return false;
    }

    const index = this.segments.findIndex((segment) => segment.startMs > record.startMs);
    if (index < 0) {
      this.segments.push(record);
    } else {
      this.segments.splice(index, 0, record);
    }
    await appendFile(this.indexPath, `${JSON.stringify(record)}\n`);
    return true;
  }

  /** Deletes the segments that overlap [fromMs, toMs): all of them, or only recorded ones. */
  async removeOverlapping(fromMs: number, toMs: number, which: 'all' | 'recorded'): Promise<number> {
    const doomed = this.overlapping(fromMs, toMs).filter((segment) => which === 'all' || !segment.imported);
    return this.remove(doomed);
  }

  /** Deletes recorded (not imported) segments that ended before `cutoffMs`. */
  async removeRecordedBefore(cutoffMs: number): Promise<number> {
    const doomed = this.segments.filter((segment) => !segment.imported && segment.endMs < cutoffMs);
    return this.remove(doomed);
  }

  /** Segments with any part inside [fromMs, toMs), in time order. */
  overlapping(fromMs: number, toMs: number): SegmentRecord[] {
    return this.segments.filter((segment) => segment.startMs < toMs && segment.endMs > fromMs);
  }

  /** Continuous stretches of recording, with the gap ranges cut out. */
  runs(gaps: readonly GapMs[]): RecordingRun[] {
    const merged: RecordingRun[] = [];
    for (const segment of this.segments) {
      const last = merged.at(-1);
      if (last && segment.startMs - last.toMs <= RUN_MERGE_TOLERANCE_MS) {
        last.toMs = Math.max(last.toMs, segment.endMs);
        last.bytes += segment.bytes;
      } else {
        merged.push({ fromMs: segment.startMs, toMs: segment.endMs, bytes: segment.bytes });
      }
    }

    const result: RecordingRun[] = [];
    for (const run of merged) {
      const pieces = subtractRanges({ fromMs: run.fromMs, toMs: run.toMs }, gaps);
      const runDuration = run.toMs - run.fromMs;
      for (const piece of pieces) {
        const share = runDuration > 0 ? (piece.toMs - piece.fromMs) / runDuration : 0;
        result.push({ fromMs: piece.fromMs, toMs: piece.toMs, bytes: Math.round(run.bytes * share) });
      }
    }
    return result;
  }

  /**
   * Chooses the bytes of [startMs, endMs) minus the gaps, or returns null when nothing is recorded there.
   *
   * The clip starts at the keyframe at or before startMs, as NVRs do. After a gap it resumes at the
   * first keyframe at or after the gap's end, so no gap time leaks in. It ends before the first frame
   * at or after endMs. Where a range starts inside a segment, the segment's tables (PAT/PMT) go first
   * so the bytes parse on their own.
   */
  async planClip(startMs: number, endMs: number, gaps: readonly GapMs[]): Promise<ClipPlan | null> {
    const pieces = subtractRanges({ fromMs: startMs, toMs: endMs }, gaps);
    const ranges: ByteRange[] = [];
    let codec: ClipPlan['codec'] | null = null;

    for (const piece of pieces) {
      const resumesAfterGap = piece.fromMs !== startMs;
      const segments = this.overlapping(piece.fromMs, piece.toMs);

      for (const [position, segment] of segments.entries()) {
        const filePath = this.pathOf(segment);
        const needsStartCut = position === 0 && piece.fromMs > segment.startMs;
        const needsEndCut = piece.toMs < segment.endMs;
        let scan: TsScanResult | null = null;
        if (needsStartCut || needsEndCut) {
          scan = scanTransportStream(await readFile(filePath));
        }

        let startByte = 0;
        let endByte = segment.bytes;
        if (needsStartCut && scan) {
          const keyframeOffset = resumesAfterGap
            ? findKeyframeAtOrAfter(scan, segment, piece.fromMs)
            : findKeyframeAtOrBefore(scan, segment, piece.fromMs);
          if (keyframeOffset === null) {
            continue;
          }
          startByte = keyframeOffset;
        }
        if (needsEndCut && scan) {
          endByte = findFrameAtOrAfter(scan, segment, piece.toMs) ?? segment.bytes;
        }
        if (endByte <= startByte) {
          continue;
        }

        if (startByte > 0 && scan && scan.firstVideoOffset > 0) {
          ranges.push({ filePath, start: 0, end: scan.firstVideoOffset });
        }
        ranges.push({ filePath, start: startByte, end: endByte });
        codec ??= segment.codec;
      }
    }

    return codec === null ? null : { ranges, codec };
  }

  private async remove(doomed: SegmentRecord[]): Promise<number> {
    if (doomed.length === 0) {
      return 0;
    }
    const doomedFiles = new Set(doomed.map((segment) => segment.file));
    this.segments = this.segments.filter((segment) => !doomedFiles.has(segment.file));
    await this.rewriteIndex();
    for (const segment of doomed) {
      await rm(this.pathOf(segment), { force: true });
    }
    return doomed.length;
  }

  private async rewriteIndex(): Promise<void> {
    const temporaryPath = `${this.indexPath}.tmp`;
    const text = this.segments.map((segment) => `${JSON.stringify(segment)}\n`).join('');
    await writeFile(temporaryPath, text);
    await rename(temporaryPath, this.indexPath);
  }
}

/** Returns [range] minus the gaps, as sorted non-empty pieces. */
export function subtractRanges(range: GapMs, gaps: readonly GapMs[]): GapMs[] {
  let pieces: GapMs[] = [range];
  for (const gap of gaps) {
    const next: GapMs[] = [];
    for (const piece of pieces) {
      if (gap.toMs <= piece.fromMs || gap.fromMs >= piece.toMs) {
        next.push(piece);
        continue;
      }
      if (gap.fromMs > piece.fromMs) {
        next.push({ fromMs: piece.fromMs, toMs: gap.fromMs });
      }
      if (gap.toMs < piece.toMs) {
        next.push({ fromMs: gap.toMs, toMs: piece.toMs });
      }
    }
    pieces = next;
  }
  return pieces;
}

function frameTimeMs(segment: SegmentRecord, pts: number): number {
  return segment.startMs + (ptsDifference(pts, segment.firstPts) * 1000) / PTS_HZ;
}

function findKeyframeAtOrBefore(scan: TsScanResult, segment: SegmentRecord, timeMs: number): number | null {
  let found: number | null = null;
  for (const frame of scan.frames) {
    if (frameTimeMs(segment, frame.pts) > timeMs + KEYFRAME_TOLERANCE_MS) {
      break;
    }
    if (frame.isKeyframe) {
      found = frame.offset;
    }
  }
  return found;
}

function findKeyframeAtOrAfter(scan: TsScanResult, segment: SegmentRecord, timeMs: number): number | null {
  const frame = scan.frames.find(
    (candidate) => candidate.isKeyframe && frameTimeMs(segment, candidate.pts) >= timeMs - KEYFRAME_TOLERANCE_MS,
  );
  return frame?.offset ?? null;
}

function findFrameAtOrAfter(scan: TsScanResult, segment: SegmentRecord, timeMs: number): number | null {
  const frame = scan.frames.find((candidate) => frameTimeMs(segment, candidate.pts) >= timeMs);
  return frame?.offset ?? null;
}

/** Returns the median spacing of consecutive frames in 90 kHz ticks, or 1/25 s for a single frame. */
function estimateFrameTicks(scan: TsScanResult): number {
  const spacings: number[] = [];
  for (let index = 1; index < scan.frames.length; index += 1) {
    spacings.push(ptsDifference(scan.frames[index]!.pts, scan.frames[index - 1]!.pts));
  }
  if (spacings.length === 0) {
    return PTS_HZ / 25;
  }
  spacings.sort((a, b) => a - b);
  return spacings[Math.floor(spacings.length / 2)]!;
}
