import type { FastifyBaseLogger } from 'fastify';

/** Progress since the last save after which a report is saved at once. */
const SAVE_EVERY_BYTES = 1024 * 1024;
/** Time since the last save after which a report is saved at once, so a slow link still moves the bar. */
const SAVE_EVERY_MS = 1000;

/**
 * Stores the bytes sent while a chunk streams, throttled by size and time. Saves run one after another, so an
 * older value never overwrites a newer one. A failed save is logged and skipped: progress is only a display.
 */
export class ThrottledProgress {
  private lastSavedBytes = -1;
  private lastSavedAt = 0;
  private latest = -1;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private isStopped = false;

  constructor(
    private readonly save: (bytes: number) => Promise<void>,
    private readonly log: FastifyBaseLogger,
  ) {}

  report(bytes: number): void {
    if (this.isStopped) return;
    this.latest = bytes;
    if (bytes - this.lastSavedBytes >= SAVE_EVERY_BYTES || Date.now() - this.lastSavedAt >= SAVE_EVERY_MS) {
      this.flush();
      return;
    }
    // A chunk that stalls after a small read still gets its latest count saved within SAVE_EVERY_MS.
    this.timer ??= setTimeout(() => this.flush(), SAVE_EVERY_MS);
  }

  /** Stops saving. Call it when the chunk's request ended, before the caller saves the confirmed count. */
  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when every save already started has finished. */
  settled(): Promise<void> {
    return this.queue;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.isStopped || this.latest === this.lastSavedBytes) return;
    const bytes = this.latest;
    this.lastSavedBytes = bytes;
    this.lastSavedAt = Date.now();
    this.queue = this.queue.then(() => this.save(bytes)).catch((error: unknown) => this.log.warn({ err: error, bytes }, 'saving delivery progress failed'));
  }
}
