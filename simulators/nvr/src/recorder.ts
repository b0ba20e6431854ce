/**
 * The NVR's encoder: one ffmpeg child that records a test picture with the time burned in.
 *
 * ffmpeg writes two outputs from a single libx264 encoder through the tee muxer:
 *   1. MPEG-TS segments in segments/, listed in recorder-<epochMicros>.csv as each one closes.
 *   2. The same MPEG-TS on stdout, which the simulator forwards to the RTSP server as the live feed.
 * ffmpeg runs under `setpriv --pdeathsig` so that it ends with the simulator, even a killed one.
 * On its own it would not: Node starts children with SIGPIPE ignored, and ffmpeg 5.1 kept sleeping
 * in its main loop after the write to its stdout failed.
 *
 * Frame timestamps are real time: setpts sets each frame's PTS to (RTCTIME - epoch) with 1 ms
 * resolution, and the burned-in clock is drawn from that same PTS. So a segment's first PTS plus the
 * epoch is the real time of its first frame, and the picture shows exactly that time.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import { describeError, log } from './log.js';
import { spawnTiedToParent } from './run-process.js';
import type { SegmentStore } from './segment-store.js';
import { PTS_HZ, PTS_MODULUS } from './ts-scan.js';

export interface RecorderOptions {
  store: SegmentStore;
  ffmpegPath: string;
  utcOffsetMinutes: number;
  segmentSeconds: number;
  width: number;
  height: number;
  framesPerSecond: number;
  fontFile: string;
  /** Receives the live MPEG-TS feed in chunks of whole 188-byte packets. */
  onLiveData: (chunk: Buffer) => void;
}

const CSV_POLL_INTERVAL_MS = 500;
const RESTART_DELAY_MS = 2_000;
const STOP_GRACE_MS = 4_000;
const CSV_PREFIX = 'recorder-';

export class Recorder {
  private child: ChildProcess | null = null;
  private epochMicros = 0;
  private csvPath = '';
  private csvReadOffset = 0;
  private csvRemainder = '';
  private pollTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private isStopping = false;
  private livePending: Buffer = Buffer.alloc(0);
  private polling: Promise<void> = Promise.resolve();
  private readonly segmentListeners: Array<() => void> = [];

  constructor(private readonly options: RecorderOptions) {}

  /** Indexes segments that a previous run closed but did not index, then deletes other leftovers. */
  async recoverPreviousRuns(): Promise<void> {
    const { store } = this.options;
    for (const name of await readdir(store.dataDir)) {
      const match = /^recorder-(\d+)\.csv$/.exec(name);
      if (!match) {
        continue;
      }
      const epochMicros = Number(match[1]);
      const csvPath = path.join(store.dataDir, name);
      const lines = (await readFile(csvPath, 'utf8')).split('\n');
      for (const line of lines) {
        const file = line.split(',')[0]?.trim();
        if (!file || store.has(file) || !existsSync(path.join(store.segmentDir, file))) {
          continue;
        }
        await this.indexSegment(file, epochMicros);
      }
      await rm(csvPath, { force: true });
    }
    await store.removeUnindexedFiles();
  }

  start(): void {
    this.isStopping = false;
    this.spawnEncoder();
    this.pollTimer = setInterval(() => this.schedulePoll(), CSV_POLL_INTERVAL_MS);
  }

  /** Resolves after the next segment is indexed. */
  waitForSegment(): Promise<void> {
    return new Promise((resolve) => this.segmentListeners.push(resolve));
  }

  async stop(): Promise<void> {
    this.isStopping = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    if (this.pollTimer) {
      clearInterval(this.pollTimer);
    }

    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // "q" on stdin makes ffmpeg close the open segment and list it in the CSV. A signal would
      // abort the trailer write ("Immediate exit requested") and lose the last segment.
      child.stdin!.end('q');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }

    this.schedulePoll();
    await this.polling;
  }

  private spawnEncoder(): void {
    const { store, segmentSeconds } = this.options;
    this.epochMicros = Date.now() * 1000;
    this.csvPath = path.join(store.dataDir, `${CSV_PREFIX}${this.epochMicros}.csv`);
    this.csvReadOffset = 0;
    this.csvRemainder = '';
    this.livePending = Buffer.alloc(0);

    const runId = (this.epochMicros / 1000).toString(36);
    const segmentPattern = path.join(store.segmentDir, `ch1-%Y%m%dT%H%M%SZ-${runId}.ts`);
    const segmentOutput =
      `[f=segment:segment_time=${segmentSeconds}:segment_format=mpegts:segment_list=${this.csvPath}` +
      `:segment_list_type=csv:strftime=1]${segmentPattern}`;
    const liveOutput = '[f=mpegts:flush_packets=1]pipe:1';

    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostats',
      '-re',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${this.options.width}x${this.options.height}:rate=${this.options.framesPerSecond}`,
      '-copyts',
      '-vf',
      this.buildFilter(),
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-threads',
      '1',
      // One slice per frame and SPS/PPS before every IDR, like an interview-room camera.
      '-x264-params',
      'sliced-threads=0:repeat-headers=1',
      '-bf',
      '0',
      '-g',
      String(this.options.framesPerSecond),
      '-keyint_min',
      String(this.options.framesPerSecond),
      '-sc_threshold',
      '0',
      '-pix_fmt',
      'yuv420p',
      '-enc_time_base',
      '1/1000',
      '-fps_mode',
      'passthrough',
      '-map',
      '0:v',
      '-f',
      'tee',
      `${segmentOutput}|${liveOutput}`,
    ];

    const child = spawnTiedToParent(this.options.ffmpegPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      // strftime in segment names uses TZ, and UTC makes the trailing Z true.
      env: { ...process.env, TZ: 'UTC' },
    });
    this.child = child;
    log('info', 'Recorder started', { pid: child.pid, epochMicros: this.epochMicros });

    child.stdout!.on('data', (chunk: Buffer) => this.forwardLiveData(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      for (const line of text.split('\n').filter((item) => item.trim() !== '')) {
        log('warn', 'Recorder ffmpeg reported an error', { pid: child.pid, output: line });
      }
    });
    child.on('error', (error) => log('error', 'Recorder ffmpeg failed to start', { error: describeError(error) }));
    child.on('exit', (code, signal) => {
      if (this.isStopping) {
        log('info', 'Recorder stopped', { pid: child.pid, code, signal });
        return;
      }
      log('error', 'Recorder ffmpeg exited; restarting', { pid: child.pid, code, signal, delayMs: RESTART_DELAY_MS });
      this.schedulePoll();
      this.restartTimer = setTimeout(() => this.spawnEncoder(), RESTART_DELAY_MS);
    });
  }

  private buildFilter(): string {
    const epochSeconds = this.epochMicros / 1_000_000;
    const localEpochSeconds = epochSeconds + this.options.utcOffsetMinutes * 60;
    const secondsIntoLocalDay = (localEpochSeconds % 86_400).toFixed(6);
    // drawtext's pts function adds the offset argument to the frame PTS: gmtime of the shifted
    // epoch gives the device-local date, and hms with 24HH gives the time of day with milliseconds.
    const text =
      `%{pts\\:gmtime\\:${localEpochSeconds.toFixed(6)}\\:%Y-%m-%d} ` +
      `%{pts\\:hms\\:${secondsIntoLocalDay}\\:24HH}`;
    const drawtext =
      `drawtext=fontfile=${this.options.fontFile}:text='${text}':x=8:y=h-th-8` +
      ':fontsize=18:fontcolor=white:box=1:boxcolor=black@0.7:boxborderw=4';
    return `settb=1/1000,setpts=(RTCTIME-${this.epochMicros})/(TB*1000000),${drawtext}`;
  }

  private forwardLiveData(chunk: Buffer): void {
    const data = this.livePending.length > 0 ? Buffer.concat([this.livePending, chunk]) : chunk;
    const wholeLength = data.length - (data.length % 188);
    this.livePending = data.subarray(wholeLength);
    if (wholeLength > 0) {
      this.options.onLiveData(data.subarray(0, wholeLength));
    }
  }

  /** Serialises CSV polls so a slow poll never overlaps the next one. */
  private schedulePoll(): void {
    this.polling = this.polling
      .then(() => this.readNewCsvLines())
      .catch((error: unknown) => log('error', 'Indexing new segments failed', { error: describeError(error) }));
  }

  private async readNewCsvLines(): Promise<void> {
    const epochMicros = this.epochMicros;
    let handle;
    try {
      handle = await open(this.csvPath, 'r');
    } catch {
      return;
    }
    let text: string;
    try {
      const { size } = await handle.stat();
      if (size <= this.csvReadOffset) {
        return;
      }
      const buffer = Buffer.alloc(size - this.csvReadOffset);
      await handle.read(buffer, 0, buffer.length, this.csvReadOffset);
      this.csvReadOffset = size;
      text = this.csvRemainder + buffer.toString('utf8');
    } finally {
      await handle.close();
    }

    const lines = text.split('\n');
    this.csvRemainder = lines.pop() ?? '';
    for (const line of lines) {
      const file = line.split(',')[0]?.trim();
      if (file) {
        await this.indexSegment(file, epochMicros);
      }
    }
  }

  private async indexSegment(file: string, epochMicros: number): Promise<void> {
    const { store } = this.options;
    const epochMs = epochMicros / 1000;
    const closedAtMs = (await stat(path.join(store.segmentDir, file))).mtimeMs;
    const toRealMs = (pts: number): number => {
      // PTS wraps every 2^33 ticks (about 26.5 h). The wrap count chosen puts the segment's start
      // nearest to the time its file was last written.
      const elapsedTicks = ((closedAtMs - epochMs) * PTS_HZ) / 1000;
      const wraps = Math.round((elapsedTicks - pts) / PTS_MODULUS);
      return epochMs + ((pts + wraps * PTS_MODULUS) * 1000) / PTS_HZ;
    };

    const record = await store.describeSegmentFile(file, toRealMs, false);
    if (!record) {
      log('warn', 'Deleted a segment without video frames', { file });
      await rm(path.join(store.segmentDir, file), { force: true });
      return;
    }
    const isAdded = await store.add(record);
    log('debug', 'Segment indexed', { file, startMs: record.startMs, endMs: record.endMs, isAdded });

    for (const listener of this.segmentListeners.splice(0)) {
      listener();
    }
  }
}
