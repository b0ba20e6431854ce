import { spawn, type ChildProcess } from 'node:child_process';
import type { FastifyBaseLogger } from 'fastify';
import { buildLiveArgs } from '../../adapters/ffmpeg/ffmpeg-args.js';
import { redactCredentials } from '../../adapters/ffmpeg/ffmpeg.runner.js';
import type { RoomService } from '../rooms/room.service.js';
import { codecOf, Mp4BoxSplitter } from './mp4-boxes.js';

/** Connection to one browser watching the live view. */
export interface LiveViewer {
  sendText(message: string): void;
  sendBinary(data: Buffer): void;
  close(): void;
  /** Bytes queued but not yet sent; a viewer that falls too far behind is dropped. */
  bufferedBytes(): number;
}

const MAX_VIEWER_BACKLOG_BYTES = 16 * 1024 * 1024;
const IDLE_STOP_MS = 5_000;

interface RoomFeed {
  process: ChildProcess;
  viewers: Set<LiveViewer>;
  initSegment: Buffer | null;
  mime: string | null;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Live view fan-out. One ffmpeg per watched room repackages the NVR's RTSP stream to fragmented MP4 without
 * re-encoding, and every viewer of the room gets the same fragments. The ffmpeg stops shortly after the last viewer leaves.
 */
export class LiveService {
  private readonly feeds = new Map<number, RoomFeed>();

  constructor(
    private readonly rooms: RoomService,
    private readonly ffmpegPath: string,
    private readonly timeoutSeconds: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  async addViewer(roomId: number, viewer: LiveViewer): Promise<() => void> {
    let feed = this.feeds.get(roomId);
    if (!feed) feed = await this.startFeed(roomId);
    clearTimeout(feed.idleTimer);
    feed.viewers.add(viewer);
    if (feed.initSegment && feed.mime) {
      viewer.sendText(JSON.stringify({ type: 'init', mime: feed.mime }));
      viewer.sendBinary(feed.initSegment);
    }
    const current = feed;
    return () => this.removeViewer(roomId, current, viewer);
  }

  stopAll(): void {
    for (const [roomId, feed] of this.feeds) {
      this.feeds.delete(roomId);
      feed.process.kill('SIGTERM');
      for (const viewer of feed.viewers) viewer.close();
    }
  }

  private removeViewer(roomId: number, feed: RoomFeed, viewer: LiveViewer): void {
    feed.viewers.delete(viewer);
    if (feed.viewers.size > 0 || this.feeds.get(roomId) !== feed) return;
    // A short grace period lets a page reload reuse the running ffmpeg instead of reconnecting to the NVR.
    feed.idleTimer = setTimeout(() => {
      if (feed.viewers.size === 0 && this.feeds.get(roomId) === feed) {
        this.feeds.delete(roomId);
        feed.process.kill('SIGTERM');
        this.log.info({ roomId }, 'live view stopped: no viewers');
      }
    }, IDLE_STOP_MS);
  }

  private async startFeed(roomId: number): Promise<RoomFeed> {
    const room = await this.rooms.get(roomId);
    const url = this.rooms.adapterOf(room).liveUrl(this.rooms.connectionOf(room));
    const child = spawn(this.ffmpegPath, buildLiveArgs(url, this.timeoutSeconds), { stdio: ['ignore', 'pipe', 'pipe'] });
    const feed: RoomFeed = { process: child, viewers: new Set(), initSegment: null, mime: null };
    this.feeds.set(roomId, feed);
    this.log.info({ roomId }, 'live view started');

    const splitter = new Mp4BoxSplitter();
    const initParts: Buffer[] = [];
    let pendingMoof: Buffer | null = null;
    let stderr = '';

    child.stdout?.on('data', (chunk: Buffer) => {
      for (const [type, box] of splitter.push(chunk)) {
        if (!feed.initSegment) {
          initParts.push(Buffer.from(box));
          if (type === 'moov') this.publishInit(roomId, feed, Buffer.concat(initParts));
          continue;
        }
        if (type === 'moof') {
          pendingMoof = Buffer.from(box);
        } else if (type === 'mdat' && pendingMoof) {
          this.broadcast(feed, Buffer.concat([pendingMoof, box]));
          pendingMoof = null;
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = redactCredentials(stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('close', (code) => {
      if (this.feeds.get(roomId) === feed) this.feeds.delete(roomId);
      clearTimeout(feed.idleTimer);
      if (feed.viewers.size === 0) return;
      this.log.warn({ roomId, code, stderr: stderr.trim().split('\n').slice(-3).join(' | ') }, 'live view ffmpeg ended');
      const message = /401|Unauthorized/i.test(stderr) ? '硬盘录像机拒绝了登录，请联系系统管理员核对房间的登录账号和密码。' : '实时画面中断。';
      for (const viewer of feed.viewers) {
        viewer.sendText(JSON.stringify({ type: 'error', message }));
        viewer.close();
      }
    });
    return feed;
  }

  private publishInit(roomId: number, feed: RoomFeed, init: Buffer): void {
    const codec = codecOf(init);
    feed.initSegment = init;
    feed.mime = `video/mp4; codecs="${codec ?? 'avc1.42e01e'}"`;
    if (codec === 'hvc1') this.log.warn({ roomId }, 'live view camera sends H.265; browsers without HEVC cannot show it');
    for (const viewer of feed.viewers) {
      viewer.sendText(JSON.stringify({ type: 'init', mime: feed.mime }));
      viewer.sendBinary(init);
    }
  }

  private broadcast(feed: RoomFeed, fragment: Buffer): void {
    for (const viewer of feed.viewers) {
      if (viewer.bufferedBytes() > MAX_VIEWER_BACKLOG_BYTES) {
        viewer.sendText(JSON.stringify({ type: 'error', message: '网络过慢，实时画面已断开。' }));
        viewer.close();
        feed.viewers.delete(viewer);
        continue;
      }
      viewer.sendBinary(fragment);
    }
  }
}
