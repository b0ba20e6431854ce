/**
 * Pure builders of ffmpeg argument lists; running them lives in ffmpeg.runner.ts.
 * Remuxing is always `-c copy`: recordings are evidence and are never re-encoded.
 */

const COMMON = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

export interface RemuxInput {
  /** `pipe:0` for a stream on stdin, an rtsp:// URL, or a file path. */
  source: string;
  isRtsp: boolean;
  /** Explicit duration in seconds: NVRs do not always stop at the requested end. */
  durationSeconds: number;
  /** RTSP socket timeout in seconds. */
  timeoutSeconds: number;
}

/**
 * Builds the arguments that turn an NVR stream into a faststart MP4.
 * `-copyts` is deliberately absent: Dahua streams carry wall-clock epoch timestamps, and keeping them makes
 * the MP4 report a duration of decades.
 */
export function buildRemuxArgs(input: RemuxInput, outputPath: string): string[] {
  const source = input.isRtsp ? ['-rtsp_transport', 'tcp', '-timeout', String(Math.round(input.timeoutSeconds * 1e6))] : [];
  return [
    ...COMMON,
    '-y',
    ...source,
    '-i',
    input.source,
    '-t',
    input.durationSeconds.toFixed(3),
    '-map',
    '0:v:0',
    '-map',
    '0:a?',
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    outputPath,
  ];
}

/**
 * Builds the arguments of the live view: RTSP in, fragmented MP4 on stdout for Media Source Extensions.
 * NOTE: ffmpeg takes RTSP credentials only inside the URL, so local users of the server host can read them in the
 * process list while a live view or an RTSP fallback runs. Logs and errors are redacted.
 */
export function buildLiveArgs(rtspUrl: string, timeoutSeconds: number): string[] {
  return [
    ...COMMON,
    '-rtsp_transport',
    'tcp',
    '-timeout',
    String(Math.round(timeoutSeconds * 1e6)),
    '-i',
    rtspUrl,
    '-map',
    '0:v:0',
    '-an',
    '-c:v',
    'copy',
    '-f',
    'mp4',
    // Small fragments keep the latency near one second; empty_moov lets the init segment go out first.
    '-movflags',
    'frag_keyframe+empty_moov+default_base_moof',
    '-frag_duration',
    '200000',
    'pipe:1',
  ];
}

export function buildProbeArgs(filePath: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', filePath];
}

/** Lists the video packets' timestamps and key flags as CSV, for gap detection and GOP length. */
export function buildPacketScanArgs(filePath: string): string[] {
  return ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'csv=p=0', filePath];
}
