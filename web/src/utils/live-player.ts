/**
 * Plays a room's live picture: fragmented MP4 over a WebSocket into Media Source Extensions.
 *
 * Protocol (docs/api.md, "Live view"): the first message is text JSON `{ type: "init", mime }`, then binary
 * fMP4 chunks starting with the init segment. A text `{ type: "error", message }` precedes a close on failure.
 */

export type LiveStatus =
  | { kind: 'connecting' }
  | { kind: 'playing' }
  | { kind: 'reconnecting'; attempt: number; delayMs: number; reason: string | null }
  /** Terminal state: this browser cannot play the stream, so reconnecting would not help. */
  | { kind: 'unsupported'; reason: 'mse' | 'codec'; mime: string | null };

export interface LivePlayerOptions {
  /** Absolute ws:// or wss:// URL. */
  url: string;
  video: HTMLVideoElement;
  onStatus: (status: LiveStatus) => void;
  /** When the buffered end is further ahead of the playhead than this, jump to the live edge. */
  maxLatencySeconds?: number;
}

type ServerMessage = { type: 'init'; mime: string } | { type: 'error'; message: string };

const liveEdgeMarginSeconds = 0.3;
// Played media older than this is removed, so a session of several hours does not fill memory.
const keepBehindSeconds = 10;
const trimThresholdSeconds = 30;
const firstReconnectDelayMs = 1000;
const maxReconnectDelayMs = 15_000;
// A socket that stays open but sends nothing (a half-open TCP connection, a stuck ffmpeg) is restarted.
const stallTimeoutMs = 10_000;

/** Returns whether this browser has Media Source Extensions at all. */
export function isMediaSourceAvailable(): boolean {
  return typeof window !== 'undefined' && typeof window.MediaSource === 'function';
}

/** Builds the WebSocket URL of a room's live view on the page's own host. */
export function buildLiveUrl(roomId: number, location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/rooms/${roomId}/live`;
}

function parseServerMessage(text: string): ServerMessage | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;

    const record = value as Record<string, unknown>;
    if (record.type === 'init' && typeof record.mime === 'string') return { type: 'init', mime: record.mime };
    if (record.type === 'error' && typeof record.message === 'string') return { type: 'error', message: record.message };
    return null;
  } catch {
    return null;
  }
}

export class LivePlayer {
  private readonly options: Required<LivePlayerOptions>;
  private socket: WebSocket | null = null;
  private mediaSource: MediaSource | null = null;
  private sourceBuffer: SourceBuffer | null = null;
  private objectUrl: string | null = null;
  private queue: ArrayBuffer[] = [];
  private isStopped = true;
  private isUnsupported = false;
  private reconnectAttempt = 0;
  private reconnectTimer: number | null = null;
  private stallTimer: number | null = null;
  private lastDataAt = 0;
  private lastServerError: string | null = null;
  private lastStatusKey = '';

  constructor(options: LivePlayerOptions) {
    this.options = { maxLatencySeconds: 1.5, ...options };
  }

  start(): void {
    if (!this.isStopped) return;
    this.isStopped = false;
    this.isUnsupported = false;
    this.lastStatusKey = '';

    if (!isMediaSourceAvailable()) {
      this.markUnsupported('mse', null);
      return;
    }

    this.options.video.muted = true;
    this.options.video.addEventListener('error', this.handleVideoError);
    this.connect();
  }

  stop(): void {
    this.isStopped = true;
    this.clearTimers();
    this.options.video.removeEventListener('error', this.handleVideoError);
    this.closeSocket();
    this.teardownMedia();
  }

  private connect(): void {
    this.emitStatus({ kind: 'connecting' });
    this.lastServerError = null;

    const socket = new WebSocket(this.options.url);
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => this.handleMessage(event);
    socket.onclose = () => this.handleClose(socket);
    this.socket = socket;

    this.lastDataAt = Date.now();
    this.stallTimer = window.setInterval(() => {
      if (Date.now() - this.lastDataAt > stallTimeoutMs) this.socket?.close();
    }, stallTimeoutMs / 2);
  }

  private handleMessage(event: MessageEvent): void {
    this.lastDataAt = Date.now();

    if (typeof event.data === 'string') {
      this.handleTextMessage(event.data);
      return;
    }

    if (event.data instanceof ArrayBuffer) {
      this.queue.push(event.data);
      this.appendNext();
    }
  }

  private handleTextMessage(text: string): void {
    const message = parseServerMessage(text);
    if (!message) return;

    if (message.type === 'error') {
      this.lastServerError = message.message;
      return;
    }

    this.setUpMediaSource(message.mime);
  }

  private setUpMediaSource(mime: string): void {
    this.teardownMedia();

    if (!MediaSource.isTypeSupported(mime)) {
      this.markUnsupported('codec', mime);
      return;
    }

    const mediaSource = new MediaSource();
    this.mediaSource = mediaSource;
    this.objectUrl = URL.createObjectURL(mediaSource);
    this.options.video.src = this.objectUrl;

    mediaSource.addEventListener(
      'sourceopen',
      () => {
        if (this.mediaSource !== mediaSource) return;

        const sourceBuffer = mediaSource.addSourceBuffer(mime);
        sourceBuffer.addEventListener('updateend', this.handleUpdateEnd);
        this.sourceBuffer = sourceBuffer;
        this.appendNext();
      },
      { once: true },
    );
  }

  private readonly handleUpdateEnd = (): void => {
    this.keepNearLiveEdge();
    if (this.trimPlayedMedia()) return;
    this.appendNext();
  };

  private appendNext(): void {
    const sourceBuffer = this.sourceBuffer;
    if (!sourceBuffer || sourceBuffer.updating || this.mediaSource?.readyState !== 'open') return;

    const chunk = this.queue.shift();
    if (!chunk) return;

    try {
      sourceBuffer.appendBuffer(chunk);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        this.queue.unshift(chunk);
        if (!this.trimPlayedMedia(true)) this.socket?.close();
        return;
      }

      // The buffer is in an error state (bad data, decoder failure): start over with a fresh connection.
      console.warn('live view: appendBuffer failed', error);
      this.socket?.close();
    }
  }

  private keepNearLiveEdge(): void {
    const video = this.options.video;
    const buffered = video.buffered;
    if (buffered.length === 0) return;

    const lastRange = buffered.length - 1;
    const start = buffered.start(lastRange);
    const end = buffered.end(lastRange);
    const isBeforeBuffer = video.currentTime < start;
    const isLagging = end - video.currentTime > this.options.maxLatencySeconds;

    if (isBeforeBuffer || isLagging) {
      video.currentTime = Math.max(start, end - liveEdgeMarginSeconds);
    }

    if (video.paused) {
      video.play().catch(() => {
        // Autoplay of a muted video is allowed, so a rejection here means the element was torn down.
      });
    }

    this.reconnectAttempt = 0;
    this.emitStatus({ kind: 'playing' });
  }

  /** Removes played media far behind the playhead. Returns whether a removal started. */
  private trimPlayedMedia(isUrgent = false): boolean {
    const sourceBuffer = this.sourceBuffer;
    const buffered = this.options.video.buffered;
    if (!sourceBuffer || sourceBuffer.updating || buffered.length === 0) return false;

    const start = buffered.start(0);
    const removeUntil = this.options.video.currentTime - (isUrgent ? 2 : keepBehindSeconds);
    const isWorthTrimming = isUrgent || this.options.video.currentTime - start > trimThresholdSeconds;
    if (!isWorthTrimming || removeUntil <= start) return false;

    sourceBuffer.remove(start, removeUntil);
    return true;
  }

  private readonly handleVideoError = (): void => {
    if (this.isStopped || !this.mediaSource) return;

    console.warn('live view: video element error', this.options.video.error);
    this.socket?.close();
  };

  private handleClose(socket: WebSocket): void {
    if (this.socket !== socket) return;

    this.socket = null;
    this.clearTimers();
    this.teardownMedia();
    if (this.isStopped || this.isUnsupported) return;

    this.reconnectAttempt += 1;
    const delayMs = Math.min(firstReconnectDelayMs * 2 ** (this.reconnectAttempt - 1), maxReconnectDelayMs);
    this.emitStatus({
      kind: 'reconnecting',
      attempt: this.reconnectAttempt,
      delayMs,
      reason: this.lastServerError,
    });

    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.isStopped) this.connect();
    }, delayMs);
  }

  private markUnsupported(reason: 'mse' | 'codec', mime: string | null): void {
    this.isUnsupported = true;
    this.clearTimers();
    this.emitStatus({ kind: 'unsupported', reason, mime });
    this.closeSocket();
  }

  /** Reports a status change. Repeats of the same status (one per appended chunk) are dropped. */
  private emitStatus(status: LiveStatus): void {
    const key = JSON.stringify(status);
    if (key === this.lastStatusKey) return;

    this.lastStatusKey = key;
    this.options.onStatus(status);
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;

    socket.onmessage = null;
    socket.onclose = null;
    socket.close();
  }

  private teardownMedia(): void {
    this.queue = [];

    if (this.sourceBuffer) {
      this.sourceBuffer.removeEventListener('updateend', this.handleUpdateEnd);
      this.sourceBuffer = null;
    }

    this.mediaSource = null;
    if (this.objectUrl) {
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = null;
      this.options.video.removeAttribute('src');
      this.options.video.load();
    }
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) window.clearTimeout(this.reconnectTimer);
    if (this.stallTimer !== null) window.clearInterval(this.stallTimer);
    this.reconnectTimer = null;
    this.stallTimer = null;
  }
}
