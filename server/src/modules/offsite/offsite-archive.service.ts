import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { runMediaTool } from '../../adapters/ffmpeg/ffmpeg.runner.js';
import { hashBuffer, hashFile } from '../../adapters/storage/file-hash.js';
import { fsyncPath, writeFileAtomic } from '../../adapters/storage/fs-utils.js';
import type { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Db } from '../../db/database.js';
import { formatCompactLocal, sanitizeFileNamePart } from '../../lib/file-names.js';
import { nowIso } from '../../lib/time.js';
import { describeArchiveFailure, type ArchiveCompletionHook } from '../archive/archive.service.js';
import type { JobContext, JobHandler, JobOutcome } from '../jobs/job.types.js';
import type { SessionRepository } from '../sessions/session.repository.js';
import { isMp4, probeVideo } from './video-probe.js';

const MANIFEST_FILE = 'manifest.json';

/** One archived video as listed in manifest.json. */
interface ArchivedVideo {
  name: string;
  storedName: string;
  originalName: string;
  originalFormat: string;
  convertedToMp4: boolean;
  kind: 'video';
  size: number;
  sha256: string;
  sm3: string;
  durationMs: number;
  codec: string;
  width: number;
  height: number;
}

/** Builds the ffmpeg arguments that rewrap a video into MP4 without re-encoding any stream. */
export function buildOffsiteRemuxArgs(inputPath: string, outputPath: string): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', inputPath, '-map', '0:v', '-map', '0:a?', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', outputPath];
}

/**
 * The archive job of an off-site session: each uploaded video is probed, rewrapped into MP4 with `-c copy`
 * when its container is not MP4 already (never re-encoded), hashed, listed in manifest.json and moved into
 * archive/<case id>/<session id> as one folder. Every run starts from a clean work folder and the uploads
 * are deleted only after the database commit, so a crash at any step is repaired by running the job again.
 */
export class OffsiteArchiveService implements JobHandler<'offsite-archive'> {
  readonly type = 'offsite-archive' as const;

  constructor(
    private readonly db: Db,
    private readonly sessions: SessionRepository,
    private readonly storage: StorageLayout,
    private readonly tusDirectory: string,
    private readonly ffmpegPath: string,
    private readonly ffprobePath: string,
    private readonly completion: ArchiveCompletionHook,
    private readonly log: FastifyBaseLogger,
  ) {}

  async run(payload: { sessionId: number }, context: JobContext): Promise<JobOutcome> {
    const session = await this.sessions.findDetail(payload.sessionId);
    if (!session) return 'skipped';
    if (session.state === 'archived') return 'done';
    const log = this.log.child({ sessionId: session.id, caseId: session.case_id, jobId: context.jobId });

    await this.setState(session.id, 'fetching', null, context.attempt);
    const relativeDir = this.storage.sessionArchiveDir(session.case_id, session.id);
    const finalDir = this.storage.absolute(relativeDir);
    const workDir = this.storage.workDir(`offsite-archive-${session.id}`);
    await rm(workDir, { recursive: true, force: true });
    await rm(finalDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });

    try {
      const uploads = await this.db.kysely
        .selectFrom('offsite_uploads')
        .selectAll()
        .where('session_id', '=', session.id)
        .where('state', '=', 'uploaded')
        .orderBy('id')
        .execute();

      const files: ArchivedVideo[] = [];
      for (const [index, upload] of uploads.entries()) {
        const sourcePath = path.join(this.tusDirectory, upload.upload_id);
        const probe = await probeVideo(this.ffprobePath, sourcePath);
        if (!probe) throw new Error(`upload ${upload.upload_id} is no longer a readable video`);

        const storedName = `video-${index + 1}.mp4`;
        const targetPath = path.join(workDir, storedName);
        const converted = !isMp4(probe);
        if (converted) {
          await runMediaTool(this.ffmpegPath, buildOffsiteRemuxArgs(sourcePath, targetPath), { signal: context.signal });
        } else {
          // An MP4 is archived byte for byte. A hard link avoids copying gigabytes when the work folder is on the same disk.
          await link(sourcePath, targetPath).catch(() => copyFile(sourcePath, targetPath));
        }
        const archivedProbe = converted ? await probeVideo(this.ffprobePath, targetPath) : probe;
        if (!archivedProbe) throw new Error(`remuxed file of upload ${upload.upload_id} cannot be probed`);
        const [hashes] = await Promise.all([hashFile(targetPath, context.signal), fsyncPath(targetPath)]);

        const baseName = [session.case_name, session.suspect_name, '非办案区', formatCompactLocal(session.started_at), String(index + 1)];
        files.push({
          name: `${baseName.map(sanitizeFileNamePart).join('_')}.mp4`,
          storedName,
          originalName: upload.file_name,
          originalFormat: probe.formatName,
          convertedToMp4: converted,
          kind: 'video',
          size: hashes.size,
          sha256: hashes.sha256,
          sm3: hashes.sm3,
          durationMs: Math.round(archivedProbe.durationSeconds * 1000),
          codec: archivedProbe.codec,
          width: archivedProbe.width,
          height: archivedProbe.height,
        });
      }

      const manifest = {
        format: 'tonglu-session-manifest/1',
        session: { id: session.id, kind: session.kind, startedAt: session.started_at, endedAt: session.ended_at, operator: session.operator_name, uploadToYibanan: session.upload_to_yibanan === 1 },
        case: { id: session.case_id, name: session.case_name },
        suspect: { id: session.suspect_id, name: session.suspect_name },
        room: null,
        files,
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
            ...files.map((file) => ({
              session_id: session.id,
              kind: 'video',
              file_name: file.name,
              stored_path: path.join(relativeDir, file.storedName),
              size: file.size,
              sha256: file.sha256,
              sm3: file.sm3,
              duration_ms: file.durationMs,
              codec: file.codec,
              width: file.width,
              height: file.height,
              created_by: session.operator_id,
              created_at: now,
            })),
            {
              session_id: session.id,
              kind: 'manifest',
              file_name: `${sanitizeFileNamePart(session.case_name)}_${formatCompactLocal(session.started_at)}.manifest.json`,
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
        await trx.updateTable('offsite_uploads').set({ state: 'archived' }).where('session_id', '=', session.id).where('state', '=', 'uploaded').execute();
        await trx.updateTable('recording_sessions').set({ state: 'archived', failure_reason: null, updated_at: now }).where('id', '=', session.id).execute();
        await this.completion.planSessionPackage(trx, session.id);
      });

      for (const upload of uploads) {
        await rm(path.join(this.tusDirectory, upload.upload_id), { force: true });
        await rm(path.join(this.tusDirectory, `${upload.upload_id}.json`), { force: true });
      }
      log.info({ videos: files.length, converted: files.filter((file) => file.convertedToMp4).length }, 'off-site session archived');
      return 'done';
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      if (context.signal.aborted) throw error;
      const reason = describeArchiveFailure(error);
      const remaining = context.maxAttempts - context.attempt;
      log.warn({ err: error, attempt: context.attempt }, 'off-site archive failed');
      if (remaining > 0) await this.setState(session.id, 'ended', `第 ${context.attempt} 次归档失败：${reason} 系统将自动重试（剩余 ${remaining} 次）。`, context.attempt);
      throw error;
    }
  }

  async onGiveUp(payload: { sessionId: number }, error: unknown): Promise<void> {
    await this.setState(payload.sessionId, 'failed', `${describeArchiveFailure(error)} 自动重试已用完，请排除故障后点击“重试”。`, undefined);
  }

  private async setState(sessionId: number, state: string, reason: string | null, attempts: number | undefined): Promise<void> {
    await this.db.kysely
      .updateTable('recording_sessions')
      .set({ state, failure_reason: reason, updated_at: nowIso(), ...(attempts === undefined ? {} : { archive_attempts: attempts }) })
      .where('id', '=', sessionId)
      .execute();
  }
}
