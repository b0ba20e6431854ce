/**
 * bench/delivery: the product uploads a 2 GB 易办案 package (PUT manifest, 16 MB PATCH chunks streamed from disk,
 * commit, receipt check) to the simulator. In the same run `curl -T` sends the same file in one PATCH to the same
 * simulator. The script prints both times and the server's peak resident memory during each upload. A 200 MB
 * package runs first, so the two memory figures show whether memory grows with the package.
 *
 *   npm run delivery -w bench                (about 3 minutes on 2 cores; needs about 9 GB free in the temp folder)
 *   BENCH_DELIVERY_MB=1000 npm run delivery -w bench   (another size for the large package)
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { startYibananSimulator, type YibananSimulator } from '../../simulators/yibanan/src/launch.js';

const largeMb = Number(process.env.BENCH_DELIVERY_MB ?? 2048);
const chunkMb = Number(process.env.TONGLU_YIBANAN_CHUNK_MB ?? 16);
const smallMb = 200;
const root = path.resolve(import.meta.dirname, '../..');
const serverDir = path.join(root, 'server');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const work = mkdtempSync(path.join(tmpdir(), 'tonglu-bench-delivery-'));
const dataDir = path.join(work, 'server-data');
const token = 'bench-delivery-token';

interface ProductRun {
  packageId: string;
  bytes: number;
  seconds: number;
  peakRssMb: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function checkFreeSpace(): void {
  const output = execFileSync('df', ['-k', '--output=avail', work], { encoding: 'utf8' });
  const freeMb = Number(output.trim().split('\n').pop()) / 1024;
  // The source file, the product's copy and curl's copy in the simulator, with room to spare.
  const neededMb = (largeMb + smallMb) * 3 + 1024;
  console.log(`free space in ${work}: ${(freeMb / 1024).toFixed(1)} GB, needed about ${(neededMb / 1024).toFixed(1)} GB`);
  if (freeMb < neededMb) throw new Error(`not enough free space in ${tmpdir()}: ${freeMb.toFixed(0)} MB free, about ${neededMb} MB needed`);
}

/**
 * Generates an MP4 of about `megabytes` MB quickly: a 10 s high-bitrate H.264 clip, then looped with `-c copy`
 * (no encoding) up to the size.
 */
function generateVideo(megabytes: number, target: string): void {
  const clip = path.join(work, 'clip.mp4');
  const started = Date.now();
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25:duration=10', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '40M', '-g', '50', '-pix_fmt', 'yuv420p', clip]);
  const loops = Math.ceil((megabytes * 1024 * 1024) / statSync(clip).size);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', String(loops), '-i', clip, '-c', 'copy', '-fs', String(megabytes * 1024 * 1024), target]);
  rmSync(clip);
  console.log(`generated ${target}: ${(statSync(target).size / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Registers an ended off-site session whose uploaded video is the file, with its archive job due now, as 结束办案
 * leaves it. The archive job then hashes the video, freezes the package and queues the delivery job.
 */
function queueOffsiteSession(videoPath: string, uploadId: string): void {
  const tusDir = path.join(dataDir, 'incoming', 'tus');
  mkdirSync(tusDir, { recursive: true });
  linkSync(videoPath, path.join(tusDir, uploadId));
  const db = new Database(path.join(dataDir, 'tonglu.sqlite'));
  try {
    const now = new Date().toISOString();
    const user = db.prepare("select id from users where username = 'zhangming'").get() as { id: number };
    const suspect = db.prepare('select s.id, s.case_id from suspects s join cases c on c.id = s.case_id where c.handler_id = ? limit 1').get(user.id) as { id: number; case_id: number };
    const session = db
      .prepare(`insert into recording_sessions (case_id, suspect_id, kind, room_id, operator_id, started_at, ended_at, clock_offset_ms, upload_to_yibanan, state, gaps, archive_attempts, created_at, updated_at)
                values (?, ?, 'off-site', null, ?, ?, ?, 0, 1, 'ended', '[]', 0, ?, ?)`)
      .run(suspect.case_id, suspect.id, user.id, new Date(Date.now() - 7200_000).toISOString(), new Date(Date.now() - 3600_000).toISOString(), now, now);
    const sessionId = Number(session.lastInsertRowid);
    db.prepare(`insert into offsite_uploads (session_id, upload_id, file_name, size, state, format_name, duration_ms, codec, created_by, created_at, finished_at)
                values (?, ?, 'bench.mp4', ?, 'uploaded', 'mov,mp4,m4a,3gp,3g2,mj2', null, 'h264', ?, ?, ?)`)
      .run(sessionId, uploadId, statSync(videoPath).size, user.id, now, now);
    db.prepare(`insert into jobs (type, dedupe_key, payload, state, run_after, attempts, max_attempts, created_at, updated_at) values ('offsite-archive', ?, ?, 'queued', ?, 0, 1, ?, ?)`)
      .run(`offsite-archive:${sessionId}`, JSON.stringify({ sessionId }), now, now, now);
  } finally {
    db.close();
  }
}

function readRssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Follows the server's log and resolves when the next delivery job finishes, with its duration and peak RSS. */
function measureNextDelivery(server: ChildProcess, lines: AsyncIterator<string>): Promise<{ seconds: number; peakRssMb: number }> {
  return (async () => {
    let startedAt = 0;
    let peakKb = 0;
    let sampler: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) throw new Error('server log ended before the delivery finished');
        let entry: { msg?: string; time?: number; jobType?: string; err?: { message?: string } };
        try {
          entry = JSON.parse(next.value);
        } catch {
          continue;
        }
        if (entry.jobType === 'offsite-archive' && entry.msg === 'job failed on its last attempt') throw new Error(`archive failed: ${entry.err?.message}`);
        if (entry.jobType !== 'delivery') continue;
        if (entry.msg === 'job started') {
          startedAt = entry.time ?? Date.now();
          sampler = setInterval(() => {
            peakKb = Math.max(peakKb, readRssKb(server.pid as number, 'VmRSS'));
          }, 50);
        }
        if (entry.msg === 'job finished') return { seconds: ((entry.time ?? Date.now()) - startedAt) / 1000, peakRssMb: peakKb / 1024 };
        if (entry.msg?.startsWith('job failed')) throw new Error(`delivery failed: ${entry.err?.message}`);
      }
    } finally {
      clearInterval(sampler);
    }
  })();
}

async function runProduct(sim: YibananSimulator, videos: { path: string; mb: number }[]): Promise<ProductRun[]> {
  const port = await freePort();
  const env = {
    ...process.env,
    TONGLU_DATA_DIR: dataDir,
    TONGLU_PORT: String(port),
    TONGLU_LOG_LEVEL: 'info',
    TONGLU_WEB_DIR: path.join(work, 'no-web'),
    TONGLU_YIBANAN_URL: sim.baseUrl,
    TONGLU_YIBANAN_TOKEN: token,
    // Raises the 20 GiB default upload limit, for BENCH_DELIVERY_MB values above it.
    TONGLU_VIDEO_MAX_BYTES: String(64 * 1024 ** 3),
  };
  const seeded = spawnSync(tsx, ['src/cli/seed-demo.ts', '--nvr-http-port', '9', '--nvr-rtsp-port', '9', '--nvr-password', 'unused'], { cwd: serverDir, env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);

  const server = spawn('node', [path.join(serverDir, 'dist/server.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const runs: ProductRun[] = [];
  try {
    for (const [index, video] of videos.entries()) {
      queueOffsiteSession(video.path, `bench-${index + 1}`);
      const measured = await measureNextDelivery(server, lines);
      const db = new Database(path.join(dataDir, 'tonglu.sqlite'), { readonly: true });
      const row = db.prepare("select package_id, bytes_total from deliveries where state = 'delivered' order by id desc limit 1").get() as { package_id: string; bytes_total: number };
      db.close();
      runs.push({ packageId: row.package_id, bytes: row.bytes_total, ...measured });
      console.log(`product: ${row.package_id}, ${(row.bytes_total / 1e6).toFixed(1)} MB in ${measured.seconds.toFixed(2)} s, peak RSS during the upload ${measured.peakRssMb.toFixed(0)} MB`);
    }
    console.log(`server VmHWM over the whole run (archive hashing included): ${(readRssKb(server.pid as number, 'VmHWM') / 1024).toFixed(0)} MB`);
  } finally {
    server.kill('SIGTERM');
  }
  return runs;
}

/** Announces a copy of the product's manifest under another id and sends the file with one `curl -T` PATCH. */
function runCurl(sim: YibananSimulator, productPackageId: string, videoPath: string): number {
  const db = new Database(path.join(dataDir, 'tonglu.sqlite'), { readonly: true });
  const row = db.prepare('select manifest from deliveries where package_id = ?').get(productPackageId) as { manifest: string };
  db.close();
  const packageId = `${productPackageId}-curl`;
  const manifestPath = path.join(work, 'curl-manifest.json');
  writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(row.manifest), packageId }));
  const auth = `Authorization: Bearer ${token}`;
  const url = `${sim.baseUrl}/api/v1/packages/${packageId}`;
  execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', '-X', 'PUT', '-H', auth, '-H', 'Content-Type: application/json', '--data-binary', `@${manifestPath}`, url]);

  const started = process.hrtime.bigint();
  execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', '-X', 'PATCH', '-H', auth, '-H', 'Upload-Offset: 0', '-H', 'Content-Type: application/offset+octet-stream', '-T', videoPath, `${url}/files/0`]);
  execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', '-X', 'POST', '-H', auth, `${url}/commit`]);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

let sim: YibananSimulator | undefined;
try {
  console.log(`df -h ${tmpdir()}:\n${execFileSync('df', ['-h', work], { encoding: 'utf8' })}`);
  checkFreeSpace();
  execFileSync('npm', ['run', 'build', '-w', 'server'], { cwd: root, stdio: 'ignore' });
  const videos = [
    { path: path.join(work, `video-${smallMb}.mp4`), mb: smallMb },
    { path: path.join(work, `video-${largeMb}.mp4`), mb: largeMb },
  ];
  for (const video of videos) generateVideo(video.mb, video.path);

  sim = await startYibananSimulator({ token, dataDir: path.join(work, 'yibanan') });
  const product = await runProduct(sim, videos);
  const received = await sim.packages();
  for (const run of product) {
    const item = received.find((candidate) => candidate.packageId === run.packageId);
    if (item?.acceptCount !== 1) throw new Error(`${run.packageId} was not accepted exactly once`);
  }

  console.log('');
  for (const [index, run] of product.entries()) {
    const curlSeconds = runCurl(sim, run.packageId, (videos[index] as { path: string }).path);
    const productRate = run.bytes / 1e6 / run.seconds;
    const curlRate = run.bytes / 1e6 / curlSeconds;
    console.log(`${(run.bytes / 1e6).toFixed(0)} MB, ${chunkMb} MB chunks: product ${run.seconds.toFixed(2)} s (${productRate.toFixed(0)} MB/s), curl ${curlSeconds.toFixed(2)} s (${curlRate.toFixed(0)} MB/s), ratio product/curl ${(run.seconds / curlSeconds).toFixed(2)}, server peak RSS ${run.peakRssMb.toFixed(0)} MB`);
    // The simulator keeps every received byte, so the packages of the small run go before the large one.
    if (index < product.length - 1) await sim.clearPackages();
  }
} finally {
  await sim?.stop();
  rmSync(work, { recursive: true, force: true });
}
