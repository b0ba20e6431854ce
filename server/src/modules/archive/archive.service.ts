import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { buildRemuxArgs } from '../../adapters/ffmpeg/ffmpeg-args.js';
import { FfmpegError, runMediaTool } from '../../adapters/ffmpeg/ffmpeg.runner.js';
import { probeMedia, scanTimeline } from '../../adapters/ffmpeg/ffprobe.js';
import { NvrError, type NvrAdapter, type NvrConnection } from '../../adapters/nvr/nvr.types.js';
import { hashBuffer, hashFile } from '../../adapters/storage/file-hash.js';
import { fsyncPath, writeFileAtomic } from '../../adapters/storage/fs-utils.js';
import type { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { formatCompactLocal, sanitizeFileNamePart } from '../../lib/file-names.js';
import { nowIso } from '../../lib/time.js';
import type { JobContext, JobHandler, JobOutcome } from '../jobs/job.types.js';
import type { RoomService } from '../rooms/room.service.js';
import type { SessionDetailRow, SessionRepository } from '../sessions/session.repository.js';
import { checkDuration, findHoles, toNvrRange, type RequestedRange } from './archive-checks.js';

export interface ArchiveSettings {
  ffmpegPath: string;
  ffprobePath: string;
  rtspTimeoutSeconds: number;
}

/** Work that must commit together with a session's archive, such as freezing its 易办案 package. */
export interface ArchiveCompletionHook {
  planSessionPackage(trx: Transaction<Database>, sessionId: number): Promise<void>;
}

/** A failure that retrying may fix, with a Chinese reason for the session's record. */
export class ArchiveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

const VIDEO_FILE = 'video.mp4';
// Interview-room cameras send a keyframe every 1–4 s; the clip may begin up to one interval before the range.
const MAX_KEYFRAME_LEAD_SECONDS = 4;
const MANIFEST_FILE = 'manifest.json';

/** Turns any failure into the Chinese sentence stored on the session. */
export function describeArchiveFailure(error: unknown): string {
  if (error instanceof NvrError || error instanceof ArchiveError) return error.message;
  if (error instanceof FfmpegError) return `录像转换失败（ffmpeg 退出码 ${error.exitCode ?? '无'}），请检查硬盘录像机的录像是否完整。`;
  return '归档时发生内部错误，请联系系统管理员查看服务日志。';
}

/**
 * The archive job: pull [start, end] of the room's channel from the NVR, remux to MP4 without re-encoding,
 * check it, hash it, write the manifest and move the folder into place, then record it in one transaction.
 * Every run starts from a clean work folder, so a crash at any step is repaired by running the job again.
 */
export class ArchiveService implements JobHandler<'archive'> {
  readonly type = 'archive' as const;

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionRepository,
    private readonly rooms: RoomService,
    private readonly storage: StorageLayout,
    private readonly settings: ArchiveSettings,
    private readonly completion: ArchiveCompletionHook,
    private readonly log: FastifyBaseLogger,
  ) {}

  async run(payload: { sessionId: number }, context: JobContext): Promise<JobOutcome> {
    const session = await this.sessions.findDetail(payload.sessionId);
    if (!session) return 'skipped';
    if (session.state === 'archived') return 'done';
    if (!session.ended_at || session.room_id === null) return 'skipped';
    const log = this.log.child({ sessionId: session.id, caseId: session.case_id, jobId: context.jobId });

    await this.setState(session.id, 'fetching', null, context.attempt);
    const relativeDir = this.storage.sessionArchiveDir(session.case_id, session.id);
    const finalDir = this.storage.absolute(relativeDir);
    const workDir = this.storage.workDir(`archive-${session.id}`);
    // Leftovers of an interrupted run: no database row points at them while the session is not archived.
    await rm(workDir, { recursive: true, force: true });
    await rm(finalDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });

    try {
      const room = await this.rooms.get(session.room_id);
      const connection = this.rooms.connectionOf(room);
      const adapter = this.rooms.adapterOf(room);
      const range = toNvrRange(session.started_at, session.ended_at, session.clock_offset_ms);
      const requestedSeconds = (range.to.getTime() - range.from.getTime()) / 1000;

      const videoPath = path.join(workDir, VIDEO_FILE);
      const fetchStarted = Date.now();
      const method = await this.fetchClip(adapter, connection, range, videoPath, context.signal, log);
      const fetchMs = Date.now() - fetchStarted;

      // The checks and the two hashes only read the finished file, so they run side by side.
      const verifyStarted = Date.now();
      const [checked, hashes] = await Promise.all([
        this.checkClip(adapter, connection, range, requestedSeconds, videoPath, session, context.signal),
        hashFile(videoPath, context.signal),
        fsyncPath(videoPath),
      ]);
      const verifyMs = Date.now() - verifyStarted;
      log.info({ method, bytes: hashes.size, durationSeconds: checked.durationSeconds, fetchMs, verifyMs }, 'clip fetched and verified');

      const fileName = this.videoFileName(session);
      const manifest = {
        format: 'tonglu-session-manifest/1',
        session: {
          id: session.id,
          kind: session.kind,
          startedAt: session.started_at,
          endedAt: session.ended_at,
          clockOffsetMs: session.clock_offset_ms,
          operator: session.operator_name,
          uploadToYibanan: session.upload_to_yibanan === 1,
        },
        case: { id: session.case_id, name: session.case_name },
        suspect: { id: session.suspect_id, name: session.suspect_name },
        room: { id: room.id, name: room.name, nvr: { vendor: room.vendor, host: room.nvr_host, channel: room.channel } },
        requestedRange: { from: range.from.toISOString(), to: range.to.toISOString(), clock: 'nvr', fetchedBy: method },
        gaps: checked.gaps,
        files: [
          {
            name: fileName,
            storedName: VIDEO_FILE,
            kind: 'video',
            size: hashes.size,
            sha256: hashes.sha256,
            sm3: hashes.sm3,
            durationMs: Math.round(checked.durationSeconds * 1000),
            codec: checked.codec,
            width: checked.width,
            height: checked.height,
          },
        ],
        createdAt: nowIso(),
      };
      const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
      const manifestHashes = hashBuffer(manifestBytes);
      await writeFileAtomic(path.join(workDir, MANIFEST_FILE), manifestBytes);
      await writeFileAtomic(path.join(workDir, `${MANIFEST_FILE}.sha256`), `${manifestHashes.sha256}  ${MANIFEST_FILE}\n`);

      await mkdir(path.dirname(finalDir), { recursive: true });
      await rename(workDir, finalDir);
      await fsyncPath(path.dirname(finalDir));

      const now = nowIso();
      await this.db.kysely.transaction().execute(async (trx) => {
        await trx
          .insertInto('media_files')
          .values([
            {
              session_id: session.id,
              kind: 'video',
              file_name: fileName,
              stored_path: path.join(relativeDir, VIDEO_FILE),
              size: hashes.size,
              sha256: hashes.sha256,
              sm3: hashes.sm3,
              duration_ms: Math.round(checked.durationSeconds * 1000),
              codec: checked.codec,
              width: checked.width,
              height: checked.height,
              created_by: null,
              created_at: now,
            },
            {
              session_id: session.id,
              kind: 'manifest',
              file_name: fileName.replace(/\.mp4$/, '.manifest.json'),
              stored_path: path.join(relativeDir, MANIFEST_FILE),
              size: manifestBytes.length,
              sha256: manifestHashes.sha256,
              sm3: manifestHashes.sm3,
              duration_ms: null,
              codec: null,
              width: null,
              height: null,
              created_by: null,
              created_at: now,
            },
          ])
          .execute();
        await trx
          .updateTable('recording_sessions')
          .set({ state: 'archived', failure_reason: null, gaps: JSON.stringify(checked.gaps), updated_at: now })
          .where('id', '=', session.id)
          .execute();
        await this.completion.planSessionPackage(trx, session.id);
      });
      log.info({ sha256: hashes.sha256 }, 'session archived');
      return 'done';
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      if (context.signal.aborted) throw error;
      const reason = describeArchiveFailure(error);
      const remaining = context.maxAttempts - context.attempt;
      if (remaining > 0) await this.setState(session.id, 'ended', `第 ${context.attempt} 次归档失败：${reason} 系统将自动重试（剩余 ${remaining} 次）。`, context.attempt);
      throw error instanceof Error ? error : new ArchiveError(reason);
    }
  }

  async onGiveUp(payload: { sessionId: number }, error: unknown): Promise<void> {
    await this.setState(payload.sessionId, 'failed', `${describeArchiveFailure(error)} 自动重试已用完，请排除故障后点击“重试”。`, undefined);
  }

  /** Downloads over the vendor's HTTP interface when it has one, else (or when that fails) pulls RTSP playback. */
  private async fetchClip(
    adapter: NvrAdapter,
    connection: NvrConnection,
    range: RequestedRange,
    outputPath: string,
    signal: AbortSignal,
    log: FastifyBaseLogger,
  ): Promise<'http' | 'rtsp'> {
    // The clip starts at the keyframe at or before `from`, so the cap on its length must leave room for that lead,
    // or the last seconds of the session are cut off. The device ends its stream at `to`; the cap only guards against
    // NVRs that keep streaming.
    const durationSeconds = (range.to.getTime() - range.from.getTime()) / 1000 + MAX_KEYFRAME_LEAD_SECONDS;
    let httpError: unknown;

    if (adapter.downloadRange) {
      try {
        const stream = await adapter.downloadRange(connection, range.from, range.to, signal);
        const args = buildRemuxArgs({ source: 'pipe:0', isRtsp: false, durationSeconds, timeoutSeconds: this.settings.rtspTimeoutSeconds }, outputPath);
        await runMediaTool(this.settings.ffmpegPath, args, { stdin: stream as NodeJS.ReadableStream as never, signal });
        return 'http';
      } catch (error) {
        if (signal.aborted) throw error;
        // Wrong credentials or a missing recording fail the same way over RTSP; do not wait a real-time pull for that.
        if (error instanceof NvrError && (error.code === 'NVR_AUTH_FAILED' || error.code === 'NVR_NO_RECORDING')) throw error;
        httpError = error;
        log.warn({ err: error }, 'HTTP download failed; falling back to RTSP playback');
        await rm(outputPath, { force: true });
      }
    }

    try {
      const url = adapter.playbackUrl(connection, range.from, range.to);
      const args = buildRemuxArgs({ source: url, isRtsp: true, durationSeconds, timeoutSeconds: this.settings.rtspTimeoutSeconds }, outputPath);
      await runMediaTool(this.settings.ffmpegPath, args, { signal });
      return 'rtsp';
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof FfmpegError && /401|Unauthorized/i.test(error.stderrTail)) {
        throw new NvrError('NVR_AUTH_FAILED', '硬盘录像机登录失败，请核对房间管理中的登录账号和登录密码。', { cause: error });
      }
      throw httpError ?? error;
    }
  }

  private async checkClip(
    adapter: NvrAdapter,
    connection: NvrConnection,
    range: RequestedRange,
    requestedSeconds: number,
    videoPath: string,
    session: SessionDetailRow,
    signal: AbortSignal,
  ) {
    const { size } = await stat(videoPath);
    if (size === 0) throw new ArchiveError('硬盘录像机返回的录像为空。');
    const info = await probeMedia(this.settings.ffprobePath, videoPath);
    if (!info.video) throw new ArchiveError('硬盘录像机返回的数据中没有视频。');
    if (info.video.codec !== 'h264' && info.video.codec !== 'hevc') throw new ArchiveError(`录像编码 ${info.video.codec} 无法识别，请将通道设置为 H.264 或 H.265。`);

    const frameSeconds = info.video.frameRate > 0 ? 1 / info.video.frameRate : 0.04;
    const timeline = await scanTimeline(this.settings.ffprobePath, videoPath, Math.max(1.5, frameSeconds * 10), signal);

    // The NVR's own list of recordings gives exact holes, which the container's timestamps may hide or blur.
    // Timestamp jumps are the fallback for vendors without such a list.
    const gaps: { from: string; to: string }[] = [];
    if (adapter.listRecordings) {
      const recordings = await adapter.listRecordings(connection, range.from, range.to, signal);
      for (const hole of findHoles(range.from, range.to, recordings, 2)) {
        gaps.push({
          from: new Date(hole.from.getTime() - session.clock_offset_ms).toISOString(),
          to: new Date(hole.to.getTime() - session.clock_offset_ms).toISOString(),
        });
      }
    } else {
      // NOTE: offsets count from the clip's first keyframe, which can lie up to one GOP before the session start.
      const serverStart = Date.parse(session.started_at);
      for (const gap of timeline.gaps) {
        gaps.push({ from: new Date(serverStart + gap.fromSeconds * 1000).toISOString(), to: new Date(serverStart + gap.toSeconds * 1000).toISOString() });
      }
    }
    const gapSeconds = mergeSeconds(gaps);

    const durationSeconds = info.durationSeconds;
    const problem = checkDuration({
      requestedSeconds,
      actualSeconds: durationSeconds,
      maxKeyframeIntervalSeconds: timeline.maxKeyframeInterval,
      gapSeconds,
      paddingSeconds: MAX_KEYFRAME_LEAD_SECONDS,
    });
    if (problem) throw new ArchiveError(problem);
    return { durationSeconds, gaps: mergeIntervals(gaps), codec: info.video.codec, width: info.video.width, height: info.video.height };
  }

  private videoFileName(session: SessionDetailRow): string {
    const parts = [session.case_name, session.suspect_name, session.room_name ?? '非办案区', formatCompactLocal(session.started_at)];
    return `${parts.map(sanitizeFileNamePart).join('_')}.mp4`;
  }

  private async setState(sessionId: number, state: string, reason: string | null, attempts: number | undefined): Promise<void> {
    await this.db.kysely
      .updateTable('recording_sessions')
      .set({ state, failure_reason: reason, updated_at: nowIso(), ...(attempts === undefined ? {} : { archive_attempts: attempts }) })
      .where('id', '=', sessionId)
      .execute();
  }
}

function mergeIntervals(intervals: { from: string; to: string }[]): { from: string; to: string }[] {
  const sorted = [...intervals].sort((a, b) => a.from.localeCompare(b.from));
  const merged: { from: string; to: string }[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.from <= last.to) {
      if (interval.to > last.to) last.to = interval.to;
    } else {
      merged.push({ ...interval });
    }
  }
  return merged;
}

function mergeSeconds(intervals: { from: string; to: string }[]): number {
  return mergeIntervals(intervals).reduce((sum, interval) => sum + (Date.parse(interval.to) - Date.parse(interval.from)) / 1000, 0);
}
