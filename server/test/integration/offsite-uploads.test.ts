import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { waitFor } from '../helpers/polling.js';

const MAX_VIDEO_BYTES = 5 * 1024 * 1024;

let t: TestApp;
let baseUrl: string;
let officer: string;
let otherOfficer: string;
let caseId: number;
let suspectId: number;
let mediaDir: string;
let mkvPath: string;
let mp4Path: string;

/** Generates a short H.264 clip with ffmpeg in the given container. */
function makeClip(target: string, extraArgs: string[] = []): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-shortest', ...extraArgs, target]);
}

function countVideoPackets(file: string): { packets: number; codec: string } {
  const output = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets,codec_name', '-of', 'json', file]).toString();
  const stream = JSON.parse(output).streams[0];
  return { packets: Number(stream.nb_read_packets), codec: stream.codec_name };
}

function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** Creates a tus upload over real HTTP and returns its URL. */
async function createUpload(sessionId: number, fileName: string, size: number, cookie = officer): Promise<Response> {
  return fetch(`${baseUrl}/api/uploads`, {
    method: 'POST',
    headers: { cookie, ...t.csrfHeaders(cookie), 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size), 'Upload-Metadata': encodeMetadata({ sessionId: String(sessionId), filename: fileName }) },
  });
}

async function patchUpload(location: string, offset: number, bytes: Buffer, cookie = officer): Promise<Response> {
  return fetch(`${baseUrl}${location}`, {
    method: 'PATCH',
    headers: { cookie, ...t.csrfHeaders(cookie), 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: new Uint8Array(bytes),
  });
}

/** Uploads a whole file in one PATCH and returns the PATCH response. */
async function uploadWhole(sessionId: number, fileName: string, bytes: Buffer): Promise<Response> {
  const created = await createUpload(sessionId, fileName, bytes.length);
  expect(created.status, await created.clone().text()).toBe(201);
  return patchUpload(created.headers.get('location') as string, 0, bytes);
}

async function startOffsite(payload: Record<string, unknown>, cookie = officer) {
  return t.app.inject({ method: 'POST', url: '/api/offsite-sessions', headers: { cookie }, payload });
}

async function countSessions(): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom('recording_sessions').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

beforeAll(async () => {
  mediaDir = mkdtempSync(path.join(tmpdir(), 'tonglu-offsite-media-'));
  mkvPath = path.join(mediaDir, 'clip.mkv');
  mp4Path = path.join(mediaDir, 'clip.mp4');
  makeClip(mkvPath);
  makeClip(mp4Path, ['-movflags', '+faststart']);

  t = await createTestApp({ runWorker: true, archiveMaxAttempts: 2, archiveRetryBaseSeconds: 1, videoMaxBytes: MAX_VIDEO_BYTES });
  baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  officer = await t.login('zhangming');
  otherOfficer = await t.login('lihua');
  const cases = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie: officer } })).json();
  const theft = cases.items.find((item: { name: string }) => item.name === '王某某盗窃案');
  const detail = (await t.app.inject({ method: 'GET', url: `/api/cases/${theft.id}`, headers: { cookie: officer } })).json();
  caseId = detail.id;
  suspectId = detail.suspects[0].id;
});

afterAll(async () => {
  await t?.close();
  rmSync(mediaDir, { recursive: true, force: true });
});

describe('非办案区同录', () => {
  const startedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
  const endedAt = new Date(Date.now() - 3600_000).toISOString();
  let sessionId: number;
  let mkvUploadLocation: string;

  it('rejects bad start input without a session', async () => {
    const before = await countSessions();
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ caseId, suspectId, startedAt: endedAt, endedAt: startedAt }, 400, /结束时间必须晚于开始时间/],
      [{ caseId, suspectId, startedAt, endedAt: new Date(Date.now() + 86400_000).toISOString() }, 400, /不能晚于当前时间/],
      [{ caseId, suspectId, startedAt: '不是时间', endedAt }, 400, /开始时间格式不正确/],
      [{ caseId, suspectId: 999999, startedAt, endedAt }, 400, /嫌疑人不属于该案件/],
    ];
    for (const [payload, status, message] of cases) {
      const response = await startOffsite(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.json().message).toMatch(message);
    }
    const foreign = await startOffsite({ caseId, suspectId, startedAt, endedAt }, otherOfficer);
    expect(foreign.statusCode).toBe(404);
    expect(await countSessions()).toBe(before);
  });

  it('starts a session without a room', async () => {
    const response = await startOffsite({ caseId, suspectId, startedAt, endedAt });
    expect(response.statusCode, response.body).toBe(201);
    const session = response.json();
    sessionId = session.id;
    expect(session.kind).toBe('off-site');
    expect(session.roomId).toBeNull();
    expect(session.state).toBe('recording');
    expect(session.startedAt).toBe(startedAt);
    expect(session.endedAt).toBe(endedAt);
  });

  it('resumes an interrupted upload', async () => {
    const bytes = readFileSync(mkvPath);
    const created = await createUpload(sessionId, '外出讯问.mkv', bytes.length);
    expect(created.status, await created.clone().text()).toBe(201);
    mkvUploadLocation = created.headers.get('location') as string;
    expect(mkvUploadLocation).toMatch(/^\/api\/uploads\//);

    const half = Math.floor(bytes.length / 2);
    const first = await patchUpload(mkvUploadLocation, 0, bytes.subarray(0, half));
    expect(first.status).toBe(204);

    // After the interruption the client asks the server where to continue.
    const head = await fetch(`${baseUrl}${mkvUploadLocation}`, { method: 'HEAD', headers: { cookie: officer, 'Tus-Resumable': '1.0.0' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(half));

    const listed = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    expect(listed).toHaveLength(1);
    expect(listed[0].state).toBe('uploading');

    const rest = await patchUpload(mkvUploadLocation, half, bytes.subarray(half));
    expect(rest.status, await rest.clone().text()).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(bytes.length));

    const after = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    expect(after[0].state).toBe('uploaded');
    expect(after[0].fileName).toBe('外出讯问.mkv');
    expect(after[0].formatName).toContain('matroska');
  });

  it('rejects a non-video by content', async () => {
    const fakes: [string, Buffer][] = [
      ['伪装视频.mp4', Buffer.from('这不是视频，只是一段文字。\n'.repeat(50))],
      ['截图.mp4', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), readFileSync(mkvPath).subarray(0, 16)])],
    ];
    for (const [name, bytes] of fakes) {
      const response = await uploadWhole(sessionId, name, bytes);
      expect(response.status, name).toBe(415);
      expect((await response.json()).message).toMatch(/不是视频文件/);
    }
    const image = path.join(mediaDir, 'frame.png');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x64', '-frames:v', '1', image]);
    const imageResponse = await uploadWhole(sessionId, '照片.mp4', readFileSync(image));
    expect(imageResponse.status).toBe(415);

    const listed = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    expect(listed).toHaveLength(1);
  });

  it('rejects a video over the size limit', async () => {
    const response = await createUpload(sessionId, '超大视频.mp4', MAX_VIDEO_BYTES + 1);
    expect(response.status).toBe(413);
    expect((await response.json()).message).toMatch(/视频文件过大/);
    const listed = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    expect(listed).toHaveLength(1);
  });

  it('deletes an upload abandoned past the expiry', async () => {
    const created = await createUpload(sessionId, '中断的视频.mp4', 1000);
    expect(created.status).toBe(201);
    const location = created.headers.get('location') as string;
    expect((await patchUpload(location, 0, Buffer.alloc(100, 1))).status).toBe(204);
    const uploadId = location.split('/').pop() as string;
    const stored = path.join(t.config.dataDir, 'incoming', 'tus', uploadId);
    expect(existsSync(stored)).toBe(true);

    // Not yet expired: kept. The test app runs with the default expiry of 72 hours.
    expect(await t.app.services.tusUploads.removeExpired()).toBe(0);
    expect(await t.app.services.tusUploads.removeExpired(Date.now() + 73 * 3_600_000)).toBeGreaterThanOrEqual(1);
    expect(existsSync(stored)).toBe(false);
    expect(existsSync(`${stored}.json`)).toBe(false);
    const listed = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    expect(listed.map((item: { fileName: string }) => item.fileName)).not.toContain('中断的视频.mp4');
    // Finished uploads are never touched.
    expect(listed.length).toBeGreaterThanOrEqual(1);
  });

  it('rejects a PATCH at the wrong offset', async () => {
    const response = await patchUpload(mkvUploadLocation, 3, Buffer.from('xyz'));
    expect(response.status).toBe(409);
    expect((await response.json()).message).toMatch(/上传进度/);
  });

  it('removes a wrong upload before ending', async () => {
    const response = await uploadWhole(sessionId, '传错的视频.mp4', readFileSync(mp4Path));
    expect(response.status).toBe(204);
    const listed = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    const wrong = listed.find((item: { fileName: string }) => item.fileName === '传错的视频.mp4');
    expect(existsSync(path.join(t.config.dataDir, 'incoming', 'tus', wrong.uploadId))).toBe(true);

    const foreignDelete = await t.app.inject({ method: 'DELETE', url: `/api/offsite-sessions/${sessionId}/uploads/${wrong.id}`, headers: { cookie: otherOfficer } });
    expect(foreignDelete.statusCode).toBe(404);

    const removed = await t.app.inject({ method: 'DELETE', url: `/api/offsite-sessions/${sessionId}/uploads/${wrong.id}`, headers: { cookie: officer } });
    expect(removed.statusCode).toBe(204);
    expect(existsSync(path.join(t.config.dataDir, 'incoming', 'tus', wrong.uploadId))).toBe(false);
    const remaining = (await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: officer } })).json();
    expect(remaining).toHaveLength(1);
  });

  it('returns 404 to an officer without rights', async () => {
    const list = await t.app.inject({ method: 'GET', url: `/api/offsite-sessions/${sessionId}/uploads`, headers: { cookie: otherOfficer } });
    expect(list.statusCode).toBe(404);
    const created = await createUpload(sessionId, '别人的.mp4', 100, otherOfficer);
    expect(created.status).toBe(404);
    const head = await fetch(`${baseUrl}${mkvUploadLocation}`, { method: 'HEAD', headers: { cookie: otherOfficer, 'Tus-Resumable': '1.0.0' } });
    expect(head.status).toBe(404);
    const anonymous = await createUpload(sessionId, '匿名.mp4', 100, '');
    expect(anonymous.status).toBe(401);
    const end = await t.app.inject({ method: 'POST', url: `/api/offsite-sessions/${sessionId}/end`, headers: { cookie: otherOfficer } });
    expect(end.statusCode).toBe(404);
  });

  it('archives MKV as MP4 and MP4 unchanged', async () => {
    const mp4Bytes = readFileSync(mp4Path);
    const keptUpload = await uploadWhole(sessionId, '外出讯问2.mp4', mp4Bytes);
    expect(keptUpload.status).toBe(204);

    const ended = await t.app.inject({ method: 'POST', url: `/api/offsite-sessions/${sessionId}/end`, headers: { cookie: officer } });
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json().state).not.toBe('recording');

    const lateUpload = await createUpload(sessionId, '迟到的.mp4', 100);
    expect(lateUpload.status).toBe(409);

    const sessions = await waitFor('off-site session archived', async () => {
      const list = (await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/sessions`, headers: { cookie: officer } })).json();
      const session = list.find((item: { id: number }) => item.id === sessionId);
      if (session?.state === 'failed') throw new Error(`archive failed: ${session.failureReason}`);
      return session?.state === 'archived' ? session : undefined;
    }, 60_000);

    const videos = sessions.files.filter((file: { kind: string }) => file.kind === 'video');
    expect(videos).toHaveLength(2);
    expect(sessions.files.filter((file: { kind: string }) => file.kind === 'manifest')).toHaveLength(1);

    const rows = await t.app.services.db.kysely.selectFrom('media_files').selectAll().where('session_id', '=', sessionId).where('kind', '=', 'video').orderBy('id').execute();
    const convertedPath = path.join(t.config.dataDir, rows[0]!.stored_path);
    const copiedPath = path.join(t.config.dataDir, rows[1]!.stored_path);

    // The MKV is rewrapped, not re-encoded: same codec and packet count, now an MP4 container.
    expect(countVideoPackets(convertedPath)).toEqual(countVideoPackets(mkvPath));
    const format = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'csv=p=0', convertedPath]).toString().trim();
    expect(format).toContain('mp4');
    expect(rows[0]!.sha256).toBe(createHash('sha256').update(readFileSync(convertedPath)).digest('hex'));

    // The MP4 is archived byte for byte.
    expect(rows[1]!.sha256).toBe(createHash('sha256').update(mp4Bytes).digest('hex'));
    expect(readFileSync(copiedPath).equals(mp4Bytes)).toBe(true);

    const manifest = JSON.parse(readFileSync(path.join(path.dirname(convertedPath), 'manifest.json'), 'utf8'));
    expect(manifest.files).toHaveLength(2);
    expect(manifest.files[0].convertedToMp4).toBe(true);
    expect(manifest.files[1].convertedToMp4).toBe(false);

    const download = await t.app.inject({ method: 'GET', url: `/api/files/${rows[1]!.id}/content?download=1`, headers: { cookie: officer } });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('video/mp4');
  });
  it('retries a failed off-site archive with its own job', async () => {
    const db = t.app.services.db.kysely;
    const started = await startOffsite({ caseId, suspectId, startedAt: '2026-01-02T01:00:00Z', endedAt: '2026-01-02T02:00:00Z' });
    expect(started.statusCode, started.body).toBe(201);
    const sessionId = started.json().id as number;
    await db.updateTable('recording_sessions').set({ state: 'failed', failure_reason: 'test' }).where('id', '=', sessionId).execute();
    const now = new Date().toISOString();
    await db
      .insertInto('jobs')
      .values({ type: 'offsite-archive', dedupe_key: `offsite-archive:${sessionId}`, payload: JSON.stringify({ sessionId }), state: 'failed', run_after: now, attempts: 2, max_attempts: 2, created_at: now, updated_at: now })
      .execute();

    const retried = await t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/retry`, headers: { cookie: officer } });
    expect(retried.statusCode, retried.body).toBe(200);
    const job = await db.selectFrom('jobs').select(['state', 'attempts']).where('dedupe_key', '=', `offsite-archive:${sessionId}`).executeTakeFirstOrThrow();
    // The worker may already have claimed it again; either way the job is alive with fresh attempts.
    expect(['queued', 'running', 'done']).toContain(job.state);
    expect(job.attempts).toBeLessThanOrEqual(1);
    expect(await db.selectFrom('jobs').select('id').where('dedupe_key', '=', `archive:${sessionId}`).executeTakeFirst()).toBeUndefined();
  });
});
