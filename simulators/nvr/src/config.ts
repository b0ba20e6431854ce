import path from 'node:path';
import { parseArgs } from 'node:util';

import { parseUtcOffset } from './device-time.js';

export interface SimulatorConfig {
  httpPort: number;
  rtspPort: number;
  dataDir: string;
  username: string;
  password: string;
  /** Device time zone in minutes east of UTC (480 for UTC+8). */
  utcOffsetMinutes: number;
  retentionMinutes: number;
  segmentSeconds: number;
  width: number;
  height: number;
  framesPerSecond: number;
  ffmpegPath: string;
  ffprobePath: string;
  pythonPath: string;
  fontFile: string;
  /** Files to import at start-up, each with the real time its first frame stands for. */
  imports: Array<{ file: string; atMs: number }>;
  /** Stop when stdin reaches end of file, so a simulator started by a crashed test runner ends too. */
  exitWhenStdinCloses: boolean;
}

export const USAGE = `Usage: tsx simulators/nvr/src/main.ts --data-dir DIR [options]

  --http-port N            Dahua/Hikvision HTTP API and /__sim control port on 127.0.0.1 (0 = any free port; default 0)
  --rtsp-port N            RTSP port on 127.0.0.1 (0 = any free port; default 0)
  --data-dir DIR           folder for recorded segments and the segment index (required)
  --user NAME              device login name (default admin)
  --password TEXT          device password (default admin123)
  --tz +HH:MM              device time zone (default +08:00)
  --retention-minutes N    recorded segments older than this are deleted; fractions allowed (default 120)
  --segment-seconds N      length of recorded segments in seconds (default 2)
  --size WxH               picture size (default 320x240)
  --fps N                  frames per second; a keyframe is sent every second (default 10)
  --import FILE@ISO_TIME   import FILE as recording starting at ISO_TIME (repeatable)
  --ffmpeg PATH            ffmpeg binary (default ffmpeg)
  --ffprobe PATH           ffprobe binary (default ffprobe)
  --python PATH            Python with PyGObject and gst-rtsp-server (default /usr/bin/python3)
  --font PATH              TrueType font for the burned-in clock
  --exit-with-stdin        stop when stdin closes (used by launch.ts)
`;

export class ConfigError extends Error {}

export function parseCommandLine(argv: readonly string[]): SimulatorConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'http-port': { type: 'string', default: '0' },
      'rtsp-port': { type: 'string', default: '0' },
      'data-dir': { type: 'string' },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'admin123' },
      tz: { type: 'string', default: '+08:00' },
      'retention-minutes': { type: 'string', default: '120' },
      'segment-seconds': { type: 'string', default: '2' },
      size: { type: 'string', default: '320x240' },
      fps: { type: 'string', default: '10' },
      import: { type: 'string', multiple: true, default: [] },
      ffmpeg: { type: 'string', default: 'ffmpeg' },
      ffprobe: { type: 'string', default: 'ffprobe' },
      python: { type: 'string', default: '/usr/bin/python3' },
      font: { type: 'string', default: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf' },
      'exit-with-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });

  if (values.help) {
    throw new ConfigError(USAGE);
  }
  const dataDir = values['data-dir'];
  if (!dataDir) {
    throw new ConfigError('--data-dir is required.');
  }
  // The tee muxer reserves these characters in output paths.
  if (/[|[\]\\:']/.test(path.resolve(dataDir))) {
    throw new ConfigError(`--data-dir ${dataDir} must not contain | [ ] \\ : or '.`);
  }
  const utcOffsetMinutes = parseUtcOffset(values.tz);
  if (utcOffsetMinutes === null) {
    throw new ConfigError(`--tz ${values.tz} is invalid. Use a UTC offset such as +08:00.`);
  }
  const size = /^(\d+)x(\d+)$/.exec(values.size);
  if (!size) {
    throw new ConfigError(`--size ${values.size} is invalid. Use WIDTHxHEIGHT such as 320x240.`);
  }

  return {
    httpPort: readInteger('--http-port', values['http-port'], 0, 65_535),
    rtspPort: readInteger('--rtsp-port', values['rtsp-port'], 0, 65_535),
    dataDir: path.resolve(dataDir),
    username: values.user,
    password: values.password,
    utcOffsetMinutes,
    retentionMinutes: readRetentionMinutes(values['retention-minutes']),
    segmentSeconds: readInteger('--segment-seconds', values['segment-seconds'], 1, 600),
    width: readInteger('--size width', size[1]!, 16, 7680),
    height: readInteger('--size height', size[2]!, 16, 4320),
    framesPerSecond: readInteger('--fps', values.fps, 1, 60),
    ffmpegPath: values.ffmpeg,
    ffprobePath: values.ffprobe,
    pythonPath: values.python,
    fontFile: values.font,
    imports: values.import.map(parseImport),
    exitWhenStdinCloses: values['exit-with-stdin'],
  };
}

function readInteger(name: string, text: string, minimum: number, maximum: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum || value > maximum) {
    throw new ConfigError(`${name} ${text} is invalid. Expected an integer from ${minimum} to ${maximum}.`);
  }
  return value;
}

/** Reads the retention in minutes; fractions down to 0.05 (3 s) let tests watch segments expire. */
function readRetentionMinutes(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0.05 || value > 10 * 365 * 24 * 60) {
    throw new ConfigError(`--retention-minutes ${text} is invalid. Expected a number from 0.05 to ${10 * 365 * 24 * 60}.`);
  }
  return value;
}

function parseImport(text: string): { file: string; atMs: number } {
  const separator = text.lastIndexOf('@');
  const atMs = separator > 0 ? Date.parse(text.slice(separator + 1)) : Number.NaN;
  if (Number.isNaN(atMs)) {
    throw new ConfigError(`--import ${text} is invalid. Use FILE@ISO_TIME such as clip.mp4@2026-12-04T12:00:00Z.`);
  }
  return { file: path.resolve(text.slice(0, separator)), atMs };
}
