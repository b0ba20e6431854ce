import { buildProbeArgs } from '../../adapters/ffmpeg/ffmpeg-args.js';
import { runMediaTool } from '../../adapters/ffmpeg/ffmpeg.runner.js';

export interface VideoProbe {
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm" or "mpegts". */
  formatName: string;
  /** The ISO base media major brand (isom, mp42, qt  ...), empty for other containers. */
  majorBrand: string;
  durationSeconds: number;
  codec: string;
  width: number;
  height: number;
}

interface ProbeJson {
  format?: { format_name?: string; duration?: string; tags?: { major_brand?: string } };
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; disposition?: { attached_pic?: number } }[];
}

/** Demuxers that ffprobe uses for still images; a file they open is a picture, not a recording. */
const IMAGE_FORMATS = /(^|,)(image2|[a-z0-9]+_pipe|gif|apng|webp)(,|$)/;

/**
 * Probes a file by its content and returns its video facts, or null when it is not a video. A file is not a
 * video when ffprobe cannot open it, when it has no video stream with a duration, or when it is a still image,
 * which ffprobe also reports as a video stream.
 */
export async function probeVideo(ffprobePath: string, filePath: string): Promise<VideoProbe | null> {
  let json: ProbeJson;
  try {
    json = JSON.parse(await runMediaTool(ffprobePath, buildProbeArgs(filePath))) as ProbeJson;
  } catch {
    return null;
  }
  const formatName = json.format?.format_name ?? '';
  const durationSeconds = Number(json.format?.duration ?? 0);
  const video = (json.streams ?? []).find((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  if (!video || IMAGE_FORMATS.test(formatName) || !(durationSeconds > 0)) return null;
  return {
    formatName,
    majorBrand: (json.format?.tags?.major_brand ?? '').trim(),
    durationSeconds,
    codec: video.codec_name ?? 'unknown',
    width: video.width ?? 0,
    height: video.height ?? 0,
  };
}

/** Returns true for an MP4 file. QuickTime .mov has the same ffprobe format name and is recognised by its `qt` brand. */
export function isMp4(probe: VideoProbe): boolean {
  return probe.formatName.split(',').includes('mp4') && probe.majorBrand !== 'qt';
}
