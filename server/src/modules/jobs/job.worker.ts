import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { addSeconds, nowIso } from '../../lib/time.js';
import type { JobRepository } from './job.repository.js';
import { jobTypes, PermanentJobError, type AnyJobHandler, type JobContext, type JobType } from './job.types.js';

export interface WorkerOptions {
  pollMs: number;
  leaseSeconds: number;
  concurrency: number;
  /** First retry delay; each further attempt doubles it. */
  retryBaseSeconds: number;
}

/** Runs due jobs from the database queue; any number of workers in any number of processes can share it. */
export class JobWorker {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly handlers = new Map<JobType, AnyJobHandler>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private isStopped = true;
  private isPolling = false;

  constructor(
    private readonly jobs: JobRepository,
    handlers: AnyJobHandler[],
    private readonly options: WorkerOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    for (const handler of handlers) {
      if (this.handlers.has(handler.type)) throw new Error(`two handlers for job type ${handler.type}`);
      this.handlers.set(handler.type, handler);
    }
    const missing = jobTypes.filter((type) => !this.handlers.has(type));
    if (missing.length > 0) throw new Error(`no handler for job types: ${missing.join(', ')}`);
  }

  start(): void {
    this.isStopped = false;
    this.log.info({ workerId: this.workerId }, 'job worker started');
    this.schedule(0);
  }

  /** Stops claiming jobs and aborts the running ones; their leases expire and another start resumes them. */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.running]);
    this.log.info({ workerId: this.workerId }, 'job worker stopped');
  }

  /** Polls at once instead of waiting for the next tick (after a job is queued). */
  wake(): void {
    if (!this.isStopped) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.isStopped || this.isPolling) return;
    this.isPolling = true;
    try {
      while (!this.isStopped && this.running.size < this.options.concurrency) {
        const job = await this.jobs.claimNext(this.workerId, this.options.leaseSeconds);
        if (!job) break;
        const task = this.runJob(job.id, job.type as JobType, job.payload, job.attempts, job.max_attempts).finally(() => {
          this.running.delete(task);
          this.wake();
        });
        this.running.add(task);
      }
    } catch (error) {
      this.log.error({ err: error, workerId: this.workerId }, 'claiming a job failed');
    } finally {
      this.isPolling = false;
      if (!this.isStopped) this.schedule(this.options.pollMs);
    }
  }

  private async runJob(jobId: number, type: JobType, payloadText: string, attempt: number, maxAttempts: number): Promise<void> {
    const handler = this.handlers.get(type);
    const log = this.log.child({ jobId, jobType: type, attempt });
    if (!handler) {
      await this.jobs.markFailed(jobId, this.workerId, `no handler for job type ${type}`);
      return;
    }

    const heartbeat = setInterval(() => {
      void this.jobs.heartbeat(jobId, this.workerId, this.options.leaseSeconds).catch((error: unknown) => {
        log.warn({ err: error }, 'job heartbeat failed');
      });
    }, (this.options.leaseSeconds * 1000) / 3);
    const payload = JSON.parse(payloadText) as never;
    const context: JobContext = { jobId, attempt, maxAttempts, signal: this.abort.signal };

    try {
      log.info('job started');
      const outcome = await handler.run(payload, context);
      await this.jobs.markDone(jobId, this.workerId);
      log.info({ outcome }, 'job finished');
    } catch (error) {
      if (this.abort.signal.aborted) {
        log.warn('job interrupted by shutdown; it resumes when a worker starts again');
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= maxAttempts || error instanceof PermanentJobError) {
        log.error({ err: error }, error instanceof PermanentJobError ? 'job failed and cannot succeed on retry' : 'job failed on its last attempt');
        await handler.onGiveUp(payload, error);
        await this.jobs.markFailed(jobId, this.workerId, reason);
        return;
      }
      const delay = retryDelaySeconds(handler.retryBaseSeconds ?? this.options.retryBaseSeconds, attempt);
      log.warn({ err: error, retryInSeconds: delay }, 'job failed; retrying later');
      await this.jobs.markRetry(jobId, this.workerId, addSeconds(nowIso(), delay), reason);
    } finally {
      clearInterval(heartbeat);
    }
  }
}

/** Returns the wait before the attempt after `attempt` failed: the base doubled for each earlier failure. */
export function retryDelaySeconds(baseSeconds: number, attempt: number): number {
  return baseSeconds * 2 ** (attempt - 1);
}
