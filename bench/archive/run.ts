/**
 * bench/archive: archive time of a 10-minute 1080p H.264 recording (fetch from the NVR simulator over HTTP,
 * remux to MP4, SHA-256 + SM3) against plain `ffmpeg -c copy -movflags +faststart` plus `sha256sum` of the
 * same input in the same run, printed as a ratio, with the server process's peak resident memory.
 *
 *   npm run archive -w bench            (about 3 minutes on 2 cores; the input is generated once per run)
 *   BENCH_MINUTES=2 npm run archive -w bench   (shorter input, to check memory does not grow with size)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { startNvrSimulator } from '../../simulators/nvr/src/launch.js';

const minutes = Number(process.env.BENCH_MINUTES ?? 10);
const root = path.resolve(import.meta.dirname, '../..');
const serverDir = path.join(root, 'server');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const work = mkdtempSync(path.join(tmpdir(), 'tonglu-bench-'));
const input = path.join(work, 'input.ts');

function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function generateInput(): void {
  console.log(`generating ${minutes} min 1080p25 H.264 input (6 Mbit/s, GOP 2 s, no B-frames)...`);
  const started = process.hrtime.bigint();
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${minutes * 60}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', '50', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M', '-pix_fmt', 'yuv420p',
    '-f', 'mpegts', input,
  ]);
  console.log(`  ${(statSync(input).size / 1e6).toFixed(1)} MB in ${seconds(started).toFixed(1)} s`);
}

function dropCaches(): void {
  // Both runs start from the same page-cache state: the input was just written, so it is cached for both.
  spawnSync('sync');
}

function runReference(): number {
  dropCaches();
  const output = path.join(work, 'reference.mp4');
  const started = process.hrtime.bigint();
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-c', 'copy', '-movflags', '+faststart', output]);
  execFileSync('sha256sum', [output]);
  const elapsed = seconds(started);
  rmSync(output);
  return elapsed;
}

async function runProduct(): Promise<{ seconds: number; peakRssMb: number; bytes: number; fetchMs?: number; verifyMs?: number }> {
  const nvr = await startNvrSimulator({ username: 'admin', password: 'bench#pass' });
  const dataDir = path.join(work, 'server-data');
  const port = await freePort();
  const env = {
    ...process.env,
    TONGLU_DATA_DIR: dataDir,
    TONGLU_PORT: String(port),
    TONGLU_ARCHIVE_DELAY_SECONDS: '0',
    TONGLU_LOG_LEVEL: 'info',
    TONGLU_WEB_DIR: path.join(work, 'no-web'),
  };
  try {
    const recordingStart = new Date(Math.floor(Date.now() / 1000) * 1000 - (minutes * 60 + 3600) * 1000);
    await nvr.importRecording(input, recordingStart);

    const seeded = spawnSync(tsx, ['src/cli/seed-demo.ts', '--nvr-http-port', String(nvr.httpPort), '--nvr-rtsp-port', String(nvr.rtspPort), '--nvr-password', 'bench#pass'], { cwd: serverDir, env, encoding: 'utf8' });
    if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);

    // An ended session over the imported range, with its archive job due now, as 结束办案 would leave it.
    const db = new Database(path.join(dataDir, 'tonglu.sqlite'));
    const now = new Date().toISOString();
    const user = db.prepare("select id from users where username = 'zhangming'").get() as { id: number };
    const suspect = db.prepare('select s.id, s.case_id from suspects s join cases c on c.id = s.case_id where c.handler_id = ? limit 1').get(user.id) as { id: number; case_id: number };
    const room = db.prepare('select id from rooms limit 1').get() as { id: number };
    const endedAt = new Date(recordingStart.getTime() + minutes * 60_000).toISOString();
    const session = db
      .prepare(`insert into recording_sessions (case_id, suspect_id, kind, room_id, operator_id, started_at, ended_at, clock_offset_ms, upload_to_yibanan, state, gaps, archive_attempts, created_at, updated_at)
                values (?, ?, 'room', ?, ?, ?, ?, 0, 0, 'ended', '[]', 0, ?, ?)`)
      .run(suspect.case_id, suspect.id, room.id, user.id, recordingStart.toISOString(), endedAt, now, now);
    db.prepare(`insert into jobs (type, dedupe_key, payload, state, run_after, attempts, max_attempts, created_at, updated_at) values ('archive', ?, ?, 'queued', ?, 0, 1, ?, ?)`)
      .run(`archive:${session.lastInsertRowid}`, JSON.stringify({ sessionId: Number(session.lastInsertRowid) }), now, now, now);
    db.close();

    dropCaches();
    const server = spawn('node', [path.join(serverDir, 'dist/server.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let peakRssKb = 0;
    const sampler = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+)/.exec(status);
        if (hwm) peakRssKb = Math.max(peakRssKb, Number(hwm[1]));
      } catch {
        // The process may have exited between samples.
      }
    }, 100);

    const phases: { fetchMs?: number; verifyMs?: number } = {};
    const result = await new Promise<{ seconds: number }>((resolve, reject) => {
      let startedAt = 0;
      createInterface({ input: server.stdout }).on('line', (line) => {
        let entry: { msg?: string; time?: number; err?: { message?: string }; fetchMs?: number; verifyMs?: number };
        try {
          entry = JSON.parse(line);
        } catch {
          return;
        }
        if (entry.msg === 'job started') startedAt = entry.time ?? Date.now();
        if (entry.msg === 'clip fetched and verified') Object.assign(phases, { fetchMs: entry.fetchMs, verifyMs: entry.verifyMs });
        if (entry.msg === 'job finished') resolve({ seconds: ((entry.time ?? Date.now()) - startedAt) / 1000 });
        if (entry.msg === 'job failed on its last attempt') reject(new Error(entry.err?.message ?? 'archive job failed'));
      });
      server.on('exit', (code) => reject(new Error(`server exited with code ${code}`)));
    });
    clearInterval(sampler);
    server.kill('SIGTERM');

    const video = execFileSync('find', [path.join(dataDir, 'archive'), '-name', 'video.mp4'], { encoding: 'utf8' }).trim();
    return { seconds: result.seconds, peakRssMb: peakRssKb / 1024, bytes: statSync(video).size, ...phases };
  } finally {
    await nvr.stop();
  }
}

try {
  execFileSync('npm', ['run', 'build', '-w', 'server'], { cwd: root, stdio: 'ignore' });
  generateInput();
  const reference = runReference();
  const product = await runProduct();
  const ratio = product.seconds / reference;
  console.log(`\ninput                        ${minutes} min 1080p25 H.264, ${(statSync(input).size / 1e6).toFixed(1)} MB (MPEG-TS)`);
  console.log(`reference (ffmpeg copy + sha256sum)   ${reference.toFixed(2)} s`);
  console.log(`product (HTTP fetch + remux + SHA-256 + SM3 + manifest)   ${product.seconds.toFixed(2)} s, ${(product.bytes / 1e6).toFixed(1)} MB archived`);
  console.log(`  of which fetch + remux      ${((product.fetchMs ?? 0) / 1000).toFixed(2)} s, checks + hashes ${((product.verifyMs ?? 0) / 1000).toFixed(2)} s`);
  console.log(`ratio product/reference      ${ratio.toFixed(2)} (target < 1.3)`);
  console.log(`server peak RSS (VmHWM)      ${product.peakRssMb.toFixed(0)} MB`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
