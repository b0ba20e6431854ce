import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startYibananSimulator, type YibananSimulator } from '../../../simulators/yibanan/src/launch.js';
import { hashBuffer } from '../../src/adapters/storage/file-hash.js';
import { nowIso } from '../../src/lib/time.js';
import type { TestApp } from './test-app.js';

export type { SimPackage, YibananSimulator } from '../../../simulators/yibanan/src/launch.js';

export const YIBANAN_TOKEN = 'yibanan-test-token-7Qx';

/**
 * Starts the 易办案 receiver simulator as its own process on a free 127.0.0.1 port; it returns after the
 * simulator printed its ready line. Call `stop()` in afterAll.
 */
export async function startTestYibanan(): Promise<YibananSimulator> {
  return startYibananSimulator({ token: YIBANAN_TOKEN, showLogs: process.env.TONGLU_TEST_LOG !== undefined });
}

export interface ArchivedSessionOptions {
  caseId: number;
  suspectId: number;
  operatorId: number;
  /** The 结束办案 tick: whether the session goes to 易办案. */
  uploadToYibanan?: boolean;
  /** Sizes in bytes of the session's videos (random bytes stand in for the video). */
  videoSizes?: number[];
}

/**
 * Creates an archived session with stored files and runs the archive-completion step of the real archive jobs
 * (DeliveryService.planSessionPackage in the archive's transaction), without the NVR and ffmpeg steps before it.
 */
export async function insertArchivedSession(t: TestApp, options: ArchivedSessionOptions): Promise<number> {
  const db = t.app.services.db;
  const now = nowIso();
  const startedAt = new Date(Date.now() - 3600_000).toISOString();
  const session = await db.kysely
    .insertInto('recording_sessions')
    .values({
      case_id: options.caseId,
      suspect_id: options.suspectId,
      kind: 'off-site',
      room_id: null,
      operator_id: options.operatorId,
      started_at: startedAt,
      ended_at: now,
      clock_offset_ms: 0,
      upload_to_yibanan: options.uploadToYibanan === false ? 0 : 1,
      state: 'ended',
      failure_reason: null,
      gaps: '[]',
      archive_attempts: 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();

  const relativeDir = path.join('archive', String(options.caseId), String(session.id));
  mkdirSync(path.join(t.config.dataDir, relativeDir), { recursive: true });
  const sizes = options.videoSizes ?? [300_000];
  await db.kysely.transaction().execute(async (trx) => {
    for (const [index, size] of sizes.entries()) {
      const content = randomBytes(size);
      const storedPath = path.join(relativeDir, `video-${index + 1}.mp4`);
      writeFileSync(path.join(t.config.dataDir, storedPath), content);
      const hashes = hashBuffer(content);
      await trx
        .insertInto('media_files')
        .values({ session_id: session.id, kind: 'video', file_name: `测试录像-${index + 1}.mp4`, stored_path: storedPath, size, sha256: hashes.sha256, sm3: hashes.sm3, duration_ms: 1000, codec: 'h264', width: 320, height: 240, created_by: null, created_at: now })
        .execute();
    }
    await trx.updateTable('recording_sessions').set({ state: 'archived' }).where('id', '=', session.id).execute();
    await t.app.services.deliveries.planSessionPackage(trx, session.id);
  });
  t.app.services.worker.wake();
  return session.id;
}
