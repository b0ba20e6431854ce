import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildPacketScanArgs, buildProbeArgs } from './ffmpeg-args.js';
import { FfmpegError, runMediaTool } from './ffmpeg.runner.js';

export interface MediaInfo {
  formatName: string;
  durationSeconds: number;
  video: { codec: string; width: number; height: number; frameRate: number } | null;
  hasAudio: boolean;
}

interface ProbeJson {
  format?: { format_name?: string; duration?: string };
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string }[];
}

function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [num, den] = rate.split('/').map(Number);
  if (!num || !den) return 0;
  return num / den;
}

/** Reads container and stream facts of a media file into our own type. */
export async function probeMedia(ffprobePath: string, filePath: string): Promise<MediaInfo> {
  const json = JSON.parse(await runMediaTool(ffprobePath, buildProbeArgs(filePath))) as ProbeJson;
  const streams = json.streams ?? [];
  const video = streams.find((stream) => stream.codec_type === 'video');
  return {
    formatName: json.format?.format_name ?? '',
    durationSeconds: Number(json.format?.duration ?? 0),
    video: video
      ? {
          codec: video.codec_name ?? 'unknown',
          width: video.width ?? 0,
          height: video.height ?? 0,
          frameRate: parseRate(video.avg_frame_rate) || parseRate(video.r_frame_rate),
        }
      : null,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
  };
}

export interface TimelineScan {
  packetCount: number;
  firstPts: number;
  lastPts: number;
  /** Maximum distance between two keyframes, in seconds. */
  maxKeyframeInterval: number;
  /** Jumps in the timestamps longer than the threshold, as offsets from the start of the file. */
  gaps: { fromSeconds: number; toSeconds: number }[];
}

/**
 * Streams every video packet's timestamp through ffprobe and finds holes in the timeline.
 * Reads the CSV line by line so a long recording never sits in memory.
 */
export function scanTimeline(ffprobePath: string, filePath: string, gapThresholdSeconds: number, signal?: AbortSignal): Promise<TimelineScan> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobePath, buildPacketScanArgs(filePath), { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2048);
    });

    const scan: TimelineScan = { packetCount: 0, firstPts: Number.NaN, lastPts: Number.NaN, maxKeyframeInterval: 0, gaps: [] };
    let previous = Number.NaN;
    let lastKeyframe = Number.NaN;
    const pending: number[] = [];

    createInterface({ input: child.stdout }).on('line', (line) => {
      const [ptsText, dtsText, flags] = line.split(',');
      const pts = Number(ptsText !== 'N/A' && ptsText ? ptsText : dtsText);
      if (!Number.isFinite(pts)) return;
      scan.packetCount += 1;
      // Packets arrive in decode order; compare in presentation order over a small window.
      pending.push(pts);
      if (flags?.includes('K')) {
        if (Number.isFinite(lastKeyframe)) scan.maxKeyframeInterval = Math.max(scan.maxKeyframeInterval, pts - lastKeyframe);
        lastKeyframe = pts;
      }
      if (pending.length > 8) {
        pending.sort((a, b) => a - b);
        const next = pending.shift() as number;
        previous = visit(scan, previous, next, gapThresholdSeconds);
      }
    });

    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new FfmpegError(`ffprobe packet scan exited with code ${code}: ${stderr.trim()}`, code, stderr));
        return;
      }
      pending.sort((a, b) => a - b);
      for (const pts of pending) previous = visit(scan, previous, pts, gapThresholdSeconds);
      resolve(scan);
    });
  });
}

function visit(scan: TimelineScan, previous: number, pts: number, threshold: number): number {
  if (!Number.isFinite(scan.firstPts)) scan.firstPts = pts;
  if (Number.isFinite(previous) && pts - previous > threshold) {
    scan.gaps.push({ fromSeconds: previous - scan.firstPts, toSeconds: pts - scan.firstPts });
  }
  scan.lastPts = Number.isFinite(scan.lastPts) ? Math.max(scan.lastPts, pts) : pts;
  return Math.max(previous, pts) || pts;
}
