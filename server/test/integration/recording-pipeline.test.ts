import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { roomFor, startTestNvr, type NvrSimulator } from '../helpers/nvr-simulator.js';
import { sleep, waitFor } from '../helpers/polling.js';

let nvr: NvrSimulator;
let t: TestApp;
let officer: string;
let caseId: number;
let suspectId: number;

interface SessionJson {
  id: number;
  state: string;
  failureReason: string | null;
  clockOffsetMs: number;
  gaps: { from: string; to: string }[];
  startedAt: string;
  endedAt: string;
  files: { id: number; kind: string; fileName: string; size: number; sha256: string; sm3: string; durationMs: number | null; codec: string | null }[];
}

beforeAll(async () => {
  nvr = await startTestNvr();
  t = await createTestApp(
    { runWorker: true, archiveDelaySeconds: 1, archiveRetryBaseSeconds: 1, archiveMaxAttempts: 2, jobLeaseSeconds: 5 },
    roomFor(nvr),
  );
  const cookie = await t.login('zhangming');
  const cases = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie } })).json();
  const theft = cases.items.find((item: { name: string }) => item.name === '王某某盗窃案');
  const detail = (await t.app.inject({ method: 'GET', url: `/api/cases/${theft.id}`, headers: { cookie } })).json();
  caseId = detail.id;
  suspectId = detail.suspects[0].id;
});

afterAll(async () => {
  await t?.close();
  await nvr?.stop();
});

beforeEach(async () => {
  await nvr.reset();
  officer = await t.login('zhangming');
});

async function startSession(): Promise<SessionJson> {
  const response = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId, suspectId } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

async function endSession(id: number, uploadToYibanan = true) {
  const response = await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/end`, headers: { cookie: officer }, payload: { uploadToYibanan } });
  expect(response.statusCode, response.body).toBe(200);
  return response;
}

async function sessionOf(id: number): Promise<SessionJson> {
  const cookie = await t.login('admin');
  const list = (await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/sessions`, headers: { cookie } })).json() as SessionJson[];
  const found = list.find((session) => session.id === id);
  if (!found) throw new Error(`session ${id} not listed`);
  return found;
}

async function waitForState(id: number, state: string, timeoutMs = 90_000): Promise<SessionJson> {
  return waitFor(`session ${id} to be ${state}`, async () => {
    const session = await sessionOf(id);
    return session.state === state ? session : undefined;
  }, timeoutMs);
}

function probeDuration(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());
}

async function count(table: 'recording_sessions' | 'media_files'): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('room session to archived recording', () => {
  it('records, archives exactly the range and serves it to the handler only', async () => {
    const session = await startSession();
    expect(session.state).toBe('recording');
    expect(Math.abs(session.clockOffsetMs)).toBeLessThan(1500);

    const second = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId, suspectId } });
    expect(second.statusCode).toBe(409);
    expect(second.json().message).toContain('正在同录');

    await sleep(6_000);
    const ended = await endSession(session.id, false);
    expect(ended.json().loggedOut).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: officer } })).statusCode).toBe(401);

    const archived = await waitForState(session.id, 'archived');
    const requested = (Date.parse(archived.endedAt) - Date.parse(archived.startedAt)) / 1000;
    const video = archived.files.find((file) => file.kind === 'video');
    const manifest = archived.files.find((file) => file.kind === 'manifest');
    expect(video?.codec).toBe('h264');
    expect(video?.fileName).toMatch(/^王某某盗窃案_王某某_刑检-101讯问室_\d{8}-\d{6}\.mp4$/);
    expect(manifest).toBeDefined();

    const folder = path.join(t.config.dataDir, 'archive', String(caseId), String(session.id));
    const videoPath = path.join(folder, 'video.mp4');
    const bytes = readFileSync(videoPath);
    expect(bytes.length).toBe(video?.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(video?.sha256);
    expect(createHash('sm3').update(bytes).digest('hex')).toBe(video?.sm3);
    // Within one keyframe interval (1 s in the simulator) plus the whole-second widening of the range.
    const archivedSeconds = probeDuration(videoPath);
    expect(Math.abs(archivedSeconds - requested)).toBeLessThan(2.1);
    // The clip may start up to one keyframe early but never ends before the session did.
    expect(archivedSeconds).toBeGreaterThanOrEqual(requested - 0.1);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));

    const manifestJson = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifestJson.files[0].sha256).toBe(video?.sha256);
    expect(manifestJson.requestedRange.fetchedBy).toBe('http');
    expect(manifestJson.session.uploadToYibanan).toBe(false);
    expect(JSON.stringify(manifestJson)).not.toContain('p@ss');
    expect(readdirSync(path.join(t.config.dataDir, 'work'))).toEqual([]);

    const handler = await t.login('zhangming');
    // A browser starts playback with an open-ended range from byte 0.
    const play = await t.app.inject({ method: 'GET', url: `/api/files/${video?.id}/content`, headers: { cookie: handler, range: 'bytes=0-' } });
    expect(play.statusCode).toBe(206);
    expect(play.headers['accept-ranges']).toBe('bytes');
    expect(play.headers['content-type']).toBe('video/mp4');
    const partial = await t.app.inject({ method: 'GET', url: `/api/files/${video?.id}/content`, headers: { cookie: handler, range: 'bytes=100-199' } });
    expect(partial.statusCode).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 100-199/${bytes.length}`);
    expect(partial.rawPayload.equals(bytes.subarray(100, 200))).toBe(true);

    const download = await t.app.inject({ method: 'GET', url: `/api/files/${video?.id}/content?download=1`, headers: { cookie: handler } });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(video?.fileName ?? '')}`);
    expect(download.rawPayload.length).toBe(bytes.length);

    const outsider = await t.login('lihua');
    expect((await t.app.inject({ method: 'GET', url: `/api/files/${video?.id}/content`, headers: { cookie: outsider } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/sessions`, headers: { cookie: outsider } })).statusCode).toBe(404);

    const audits = await t.app.services.db.kysely.selectFrom('audit_events').select('action').where('target_type', '=', 'media_file').execute();
    expect(audits.map((row) => row.action)).toEqual(expect.arrayContaining(['file.play', 'file.download']));
  });
});

describe('busy room rules', () => {
  it('protects a running session from other users, rooms and admins', async () => {
    const session = await startSession();
    const admin = await t.login('admin');

    // Another prosecutor on the same room PC learns only that the room is busy.
    const other = await t.login('lihua');
    const console = (await t.app.inject({ method: 'GET', url: '/api/console', headers: { cookie: other } })).json();
    expect(console.isRoomBusy).toBe(true);
    expect(console.activeSession).toBeNull();
    expect((await t.app.inject({ method: 'POST', url: `/api/sessions/${session.id}/end`, headers: { cookie: other }, payload: { uploadToYibanan: true } })).statusCode).toBe(404);

    // The same suspect cannot be recorded in a second room at the same time.
    const roomForm = { name: '刑检-102讯问室', sortOrder: 2, vendor: 'dahua', nvrHost: '127.0.0.1', nvrHttpPort: nvr.httpPort, nvrRtspPort: nvr.rtspPort, username: 'admin', password: 'p@ss#1:x', deviceType: '硬盘录像机', channel: 1, pcIp: '127.0.0.2' };
    const room = await t.app.inject({ method: 'POST', url: '/api/rooms', headers: { cookie: admin }, payload: roomForm });
    expect(room.statusCode).toBe(201);
    const second = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, remoteAddress: '127.0.0.2', payload: { caseId, suspectId } });
    expect(second.statusCode).toBe(409);
    expect(second.json().message).toContain('王某某');
    await t.app.inject({ method: 'POST', url: `/api/rooms/${room.json().id}/enabled`, headers: { cookie: admin }, payload: { enabled: false } });

    // A room cannot be disabled while it records.
    const disable = await t.app.inject({ method: 'POST', url: '/api/rooms/1/enabled', headers: { cookie: admin }, payload: { enabled: false } });
    expect(disable.statusCode).toBe(409);
    expect(disable.json().message).toContain('正在同录');

    await endSession(session.id);
    await waitForState(session.id, 'archived');
  });
});

describe('NVR misbehaviour', () => {
  it('refuses to start while the NVR is offline and writes nothing', async () => {
    await nvr.setState({ offline: true });
    const before = await count('recording_sessions');
    const response = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId, suspectId } });
    expect(response.statusCode).toBe(502);
    expect(response.json().code).toBe('NVR_OFFLINE');
    expect(await count('recording_sessions')).toBe(before);
  });

  it('refuses to start when the NVR password was changed', async () => {
    await nvr.setState({ wrongPassword: true });
    const response = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId, suspectId } });
    expect(response.statusCode).toBe(502);
    expect(response.json().code).toBe('NVR_AUTH_FAILED');
    expect(response.json().message).toContain('登录');
  });

  it('measures the NVR clock offset and still archives the right range', async () => {
    await nvr.setState({ clockOffsetMs: 30_000 });
    const session = await startSession();
    expect(Math.abs(session.clockOffsetMs - 30_000)).toBeLessThan(1500);
    await sleep(4_000);
    await endSession(session.id);
    const archived = await waitForState(session.id, 'archived');
    const video = archived.files.find((file) => file.kind === 'video');
    const requested = (Date.parse(archived.endedAt) - Date.parse(archived.startedAt)) / 1000;
    expect(Math.abs((video?.durationMs ?? 0) / 1000 - requested)).toBeLessThan(2.1);
  });

  it('falls back to RTSP playback when the HTTP download is cut off', async () => {
    const session = await startSession();
    await sleep(3_000);
    await nvr.setState({ truncateAfterBytes: 20_000 });
    await endSession(session.id);
    const archived = await waitForState(session.id, 'archived');
    const manifest = JSON.parse(readFileSync(path.join(t.config.dataDir, 'archive', String(caseId), String(session.id), 'manifest.json'), 'utf8'));
    expect(manifest.requestedRange.fetchedBy).toBe('rtsp');
    expect(archived.files.filter((file) => file.kind === 'video')).toHaveLength(1);
  });

  it('archives through a slow NVR', async () => {
    await nvr.setState({ slowBytesPerSec: 64 * 1024 });
    const session = await startSession();
    await sleep(3_000);
    await endSession(session.id);
    const archived = await waitForState(session.id, 'archived');
    expect(archived.files.some((file) => file.kind === 'video')).toBe(true);
  });

  it('records a gap in the recording on the session', async () => {
    const session = await startSession();
    await sleep(2_000);
    const gapFrom = new Date(Date.now() + 1_000);
    const gapTo = new Date(gapFrom.getTime() + 4_000);
    await nvr.setState({ gaps: [{ from: gapFrom.toISOString(), to: gapTo.toISOString() }] });
    await sleep(8_000);
    await endSession(session.id);
    const archived = await waitForState(session.id, 'archived');
    expect(archived.gaps.length).toBeGreaterThan(0);
    const gapSeconds = archived.gaps.reduce((sum, gap) => sum + (Date.parse(gap.to) - Date.parse(gap.from)) / 1000, 0);
    expect(gapSeconds).toBeGreaterThan(2.5);
    expect(gapSeconds).toBeLessThan(5.5);
  });

  it('marks the session failed with a Chinese reason, then archives on retry', async () => {
    const session = await startSession();
    await sleep(3_000);
    await nvr.setState({ offline: true });
    await endSession(session.id);

    const failed = await waitForState(session.id, 'failed');
    expect(failed.failureReason).toMatch(/硬盘录像机/);
    expect(failed.failureReason).toContain('重试');
    expect(failed.files).toHaveLength(0);

    await nvr.reset();
    const cookie = await t.login('zhangming');
    const retried = await t.app.inject({ method: 'POST', url: `/api/sessions/${session.id}/retry`, headers: { cookie } });
    expect(retried.statusCode).toBe(200);
    const archived = await waitForState(session.id, 'archived');
    expect(archived.files.filter((file) => file.kind === 'video')).toHaveLength(1);

    const again = await t.app.inject({ method: 'POST', url: `/api/sessions/${session.id}/retry`, headers: { cookie } });
    expect(again.statusCode).toBe(409);
  });
});
