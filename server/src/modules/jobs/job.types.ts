/** Every job type and its payload; each has exactly one handler, checked when the worker starts. */
export interface JobPayloads {
  archive: { sessionId: number };
  'offsite-archive': { sessionId: number };
  delivery: { deliveryId: number };
  /** One pull from 大统一2.0; `userId` is the admin who pressed 立即同步, null for the schedule. */
  'unified-sync': { trigger: 'schedule' | 'manual'; userId: number | null };
  /** One 电子卷宗 file to download from 大统一2.0 and check against its SHA-256. */
  'dossier-fetch': { caseId: number; fileId: string; sha256: string; name: string; folderPath: string; size: number; versionAt: string };
}

export type JobType = keyof JobPayloads;

/** Outcome a handler reports when things went as expected. A thrown error means "retry later". */
export type JobOutcome = 'done' | 'skipped';

export interface JobContext {
  jobId: number;
  attempt: number;
  maxAttempts: number;
  signal: AbortSignal;
}

export interface JobHandler<T extends JobType> {
  type: T;
  run(payload: JobPayloads[T], context: JobContext): Promise<JobOutcome>;
  /** Called once when the last attempt failed, to put the job's record into a visible failed state. */
  onGiveUp(payload: JobPayloads[T], error: unknown): Promise<void>;
  /** First retry delay of this job type in seconds, when it differs from the worker's. */
  readonly retryBaseSeconds?: number;
}

/** A failure that no retry can fix (a rejected token, a hash mismatch): the worker gives up at once. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export type AnyJobHandler = { [T in JobType]: JobHandler<T> }[JobType];

export const jobTypes: readonly JobType[] = ['archive', 'offsite-archive', 'delivery', 'unified-sync', 'dossier-fetch'];
