/** Pure decisions of the archive job, kept apart so they are unit-tested without ffmpeg. */

export interface RequestedRange {
  /** NVR-clock instants sent to the device. */
  from: Date;
  to: Date;
}

/**
 * Converts a session's server-clock times to the NVR clock and widens them to whole seconds,
 * because vendor time parameters have one-second resolution.
 */
export function toNvrRange(startedAt: string, endedAt: string, clockOffsetMs: number): RequestedRange {
  const from = Math.floor((Date.parse(startedAt) + clockOffsetMs) / 1000) * 1000;
  const to = Math.ceil((Date.parse(endedAt) + clockOffsetMs) / 1000) * 1000;
  return { from: new Date(from), to: new Date(Math.max(to, from + 1000)) };
}

export interface DurationCheckInput {
  requestedSeconds: number;
  actualSeconds: number;
  /** Maximum keyframe interval in the file, because the clip can start at the keyframe before the requested start. */
  maxKeyframeIntervalSeconds: number;
  /** Seconds the NVR reports as not recorded inside the range. */
  gapSeconds: number;
  /** Seconds the fetch was allowed to run past the range, to keep the lead of the first keyframe. */
  paddingSeconds?: number;
}

/** Returns a Chinese reason when the clip is shorter or longer than the range allows, or null when it fits. */
export function checkDuration(input: DurationCheckInput): string | null {
  const tolerance = Math.max(input.maxKeyframeIntervalSeconds, 1) + 0.5;
  const expected = input.requestedSeconds - input.gapSeconds;
  if (input.actualSeconds < expected - tolerance) {
    return `录像时长不足：请求 ${input.requestedSeconds.toFixed(1)} 秒，实际 ${input.actualSeconds.toFixed(1)} 秒，硬盘录像机可能尚未写完录像文件。`;
  }
  if (input.actualSeconds > input.requestedSeconds + (input.paddingSeconds ?? 0) + tolerance) {
    return `录像时长超出请求范围：请求 ${input.requestedSeconds.toFixed(1)} 秒，实际 ${input.actualSeconds.toFixed(1)} 秒。`;
  }
  return null;
}

/** Merges overlapping intervals and returns the holes between `from` and `to` that no interval covers. */
export function findHoles(from: Date, to: Date, covered: { from: Date; to: Date }[], minimumSeconds: number): { from: Date; to: Date }[] {
  const sorted = [...covered].sort((a, b) => a.from.getTime() - b.from.getTime());
  const holes: { from: Date; to: Date }[] = [];
  let cursor = from.getTime();
  for (const interval of sorted) {
    if (interval.to.getTime() <= cursor) continue;
    if (interval.from.getTime() - cursor >= minimumSeconds * 1000) holes.push({ from: new Date(cursor), to: new Date(Math.min(interval.from.getTime(), to.getTime())) });
    cursor = Math.max(cursor, interval.to.getTime());
    if (cursor >= to.getTime()) break;
  }
  if (to.getTime() - cursor >= minimumSeconds * 1000) holes.push({ from: new Date(cursor), to });
  return holes.filter((hole) => hole.to.getTime() > hole.from.getTime());
}
