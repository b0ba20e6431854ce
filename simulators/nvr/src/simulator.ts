/**
 * Starts and stops the parts of the NVR simulator: segment store, recorder, RTSP server with its
 * TCP proxy, and the HTTP server. Holds the misbehaviour switches.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import { removeFilesOlderThan } from './clip.js';
import type { SimulatorConfig } from './config.js';
import type { SimulatorContext } from './context.js';
import type { DeviceClock } from './device-time.js';
import { DigestAuthenticator } from './digest-auth.js';
import { NvrHttpServer } from './http-server.js';
import { importRecording, type ImportResult } from './importer.js';
import { describeError, log } from './log.js';
import { Recorder } from './recorder.js';
import { RtspProxy } from './rtsp-proxy.js';
import { RtspServerProcess } from './rtsp-server-process.js';
import { SegmentStore } from './segment-store.js';
import { applyStatePatch, createDefaultState, gapsInMs, type GapMs, type SimState } from './sim-state.js';

/** Maximum time between retention checks. */
const RETENTION_CHECK_INTERVAL_MS = 30_000;
const PLAYBACK_FILE_MAX_AGE_MS = 10 * 60_000;
const FIRST_SEGMENT_TIMEOUT_MS = 30_000;
const SERIAL_NUMBER = '7J0A8C4PAZ1F2D3';
const DEVICE_TYPE = 'DHI-NVR4208-8P-4KS2';

export interface RunningSimulator {
  httpPort: number;
  rtspPort: number;
  stop(): Promise<void>;
}

export class NvrSimulator implements SimulatorContext {
  readonly store: SegmentStore;
  readonly serialNumber = SERIAL_NUMBER;
  readonly deviceType = DEVICE_TYPE;
  readonly playbackDir: string;
  private currentState: SimState = createDefaultState();
  /** Password the device accepts while `wrongPassword` is on. It is random, so no client can know it. */
  private readonly changedPassword = `changed-${randomBytes(8).toString('hex')}`;
  private httpServer: NvrHttpServer | null = null;
  private rtspServer: RtspServerProcess | null = null;
  private rtspProxy: RtspProxy | null = null;
  private recorder: Recorder | null = null;
  private liveSocket: dgram.Socket | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(readonly config: SimulatorConfig) {
    this.store = new SegmentStore(config.dataDir);
    this.playbackDir = path.join(config.dataDir, 'playback');
  }

  state(): SimState {
    return this.currentState;
  }

  deviceClock(): DeviceClock {
    return { utcOffsetMinutes: this.config.utcOffsetMinutes, clockOffsetMs: this.currentState.clockOffsetMs };
  }

  gaps(): GapMs[] {
    return gapsInMs(this.currentState);
  }

  updateState(patch: unknown, requestSocket?: unknown): SimState {
    const previous = this.currentState;
    this.currentState = applyStatePatch(previous, patch);
    this.applyStateChange(previous, requestSocket);
    log('info', 'Simulator state changed', { state: this.currentState });
    return this.currentState;
  }

  resetState(): SimState {
    return this.updateState(createDefaultState());
  }

  importRecording(file: string, atMs: number): Promise<ImportResult> {
    return importRecording(this.store, this.config, file, atMs);
  }

  /** Starts every part and resolves once HTTP and RTSP respond and the first segment is indexed. */
  async start(): Promise<RunningSimulator> {
    const { config } = this;
    await this.store.load();
    await rm(this.playbackDir, { recursive: true, force: true });

    const authenticator = new DigestAuthenticator(`Login to ${SERIAL_NUMBER}`, () => this.currentCredentials());
    this.httpServer = new NvrHttpServer(this, authenticator);
    const httpPort = await this.httpServer.listen(config.httpPort);

    const udpPort = await findFreeUdpPort();
    this.liveSocket = dgram.createSocket('udp4');
    this.rtspServer = new RtspServerProcess({
      pythonPath: config.pythonPath,
      udpPort,
      httpPort,
      realm: authenticator.realm,
      username: config.username,
      password: config.password,
    });
    await this.rtspServer.start();
    this.rtspProxy = new RtspProxy(this.rtspServer.port, () => this.currentState);
    const rtspPort = await this.rtspProxy.listen(config.rtspPort);

    for (const item of config.imports) {
      await this.importRecording(item.file, item.atMs);
    }

    const liveSocket = this.liveSocket;
    this.recorder = new Recorder({
      store: this.store,
      ffmpegPath: config.ffmpegPath,
      utcOffsetMinutes: config.utcOffsetMinutes,
      segmentSeconds: config.segmentSeconds,
      width: config.width,
      height: config.height,
      framesPerSecond: config.framesPerSecond,
      fontFile: config.fontFile,
      onLiveData: (chunk) => sendLiveDatagrams(liveSocket, udpPort, chunk),
    });
    await this.recorder.recoverPreviousRuns();
    await this.pruneExpiredSegments();
    const firstSegment = this.recorder.waitForSegment();
    this.recorder.start();
    await withTimeout(firstSegment, FIRST_SEGMENT_TIMEOUT_MS, 'The recorder wrote no segment');
    // Check at least four times per retention period, so short test retentions expire on time.
    const checkIntervalMs = Math.min(RETENTION_CHECK_INTERVAL_MS, Math.max(1_000, (config.retentionMinutes * 60_000) / 4));
    this.retentionTimer = setInterval(() => void this.pruneExpiredSegments(), checkIntervalMs);

    await checkHttpAnswers(httpPort);
    await checkRtspAnswers(rtspPort);
    return { httpPort, rtspPort, stop: () => this.stop() };
  }

  async stop(): Promise<void> {
    if (this.retentionTimer) {
      clearInterval(this.retentionTimer);
    }
    await this.rtspProxy?.close();
    await this.httpServer?.close();
    await this.recorder?.stop();
    await this.rtspServer?.stop();
    this.liveSocket?.close();
  }

  private currentCredentials(): { username: string; password: string } {
    const password = this.currentState.wrongPassword ? this.changedPassword : this.config.password;
    return { username: this.config.username, password };
  }

  private applyStateChange(previous: SimState, requestSocket: unknown): void {
    if (this.currentState.offline && !previous.offline) {
      this.httpServer?.dropConnections(requestSocket);
      this.rtspProxy?.dropConnections();
    }
    if (this.currentState.wrongPassword !== previous.wrongPassword) {
      this.rtspServer?.setPassword(this.currentCredentials().password);
    }
  }

  private async pruneExpiredSegments(): Promise<void> {
    const cutoffMs = Date.now() - this.config.retentionMinutes * 60_000;
    try {
      const removed = await this.store.removeRecordedBefore(cutoffMs);
      if (removed > 0) {
        log('info', 'Deleted segments past the retention period', { removed, cutoff: new Date(cutoffMs).toISOString() });
      }
      // rtsp_server.py deletes each cut when its media ends, and this catches cuts it never released.
      // Deleting a file that filesrc still has open is safe on Linux.
      await removeFilesOlderThan(this.playbackDir, PLAYBACK_FILE_MAX_AGE_MS);
    } catch (error) {
      log('error', 'Deleting expired segments failed', { error: describeError(error) });
    }
  }
}

/** Sends the live feed in datagrams of 7 TS packets (1316 bytes), the usual MPEG-TS-over-UDP size. */
function sendLiveDatagrams(socket: dgram.Socket, port: number, chunk: Buffer): void {
  const datagramSize = 7 * 188;
  for (let offset = 0; offset < chunk.length; offset += datagramSize) {
    socket.send(chunk.subarray(offset, offset + datagramSize), port, '127.0.0.1');
  }
}

async function findFreeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Requests a CGI page without credentials and expects the 401 Digest challenge. */
async function checkHttpAnswers(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/cgi-bin/magicBox.cgi?action=getDeviceType`);
  await response.arrayBuffer();
  if (response.status !== 401) {
    throw new Error(`HTTP port ${port} responded with ${response.status} instead of 401 to a request without credentials.`);
  }
}

/** Sends an RTSP OPTIONS request through the proxy and waits for any RTSP status line. */
async function checkRtspAnswers(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`RTSP port ${port} did not respond to OPTIONS within 10 s.`));
    }, 10_000);
    let reply = '';
    socket.on('connect', () => socket.write(`OPTIONS rtsp://127.0.0.1:${port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      if (reply.startsWith('RTSP/1.0 ')) {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${timeoutMs} ms.`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
