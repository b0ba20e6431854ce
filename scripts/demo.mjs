#!/usr/bin/env node
// Builds Tonglu, starts the NVR, 大统一2.0 and 易办案 simulators and the server on 127.0.0.1:8077 with SQLite and a
// demo data folder, seeds the demo accounts, room and cases, and prints the URL. Ctrl+C stops everything it started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.resolve(process.env.TONGLU_DATA_DIR ?? path.join(root, 'data', 'demo'));
const port = Number(process.env.TONGLU_PORT ?? 8077);
const yibanan = { port: Number(process.env.DEMO_YIBANAN_PORT ?? 37100), controlPort: Number(process.env.DEMO_YIBANAN_CONTROL_PORT ?? 37101), token: 'Demo-Yibanan-Token-2026' };
const nvr = { httpPort: Number(process.env.DEMO_NVR_HTTP_PORT ?? 37080), rtspPort: Number(process.env.DEMO_NVR_RTSP_PORT ?? 37554), user: 'admin', password: 'Demo#Nvr2026' };
const unified = {
  port: Number(process.env.DEMO_UNIFIED_PORT ?? 37090),
  controlPort: Number(process.env.DEMO_UNIFIED_CONTROL_PORT ?? 37091),
  token: 'demo-unified-token',
  dwbm: '320583',
  seedCases: 36,
};
const children = [];

function stopAll(code) {
  for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

function step(label, command, args, env = {}) {
  console.log(`demo: ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`demo: ${label} failed`);
    process.exit(1);
  }
}

/** Starts a simulator (node with the tsx loader) and resolves with its ready line. */
function startSimulator(label, script, args) {
  return new Promise((resolve, reject) => {
    // node with the tsx loader is one process, so stopping it stops the simulator (npx would not pass signals on).
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    child.on('exit', (code) => reject(new Error(`${label} exited with code ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.event === 'ready') resolve(event);
      } catch {
        // The simulator prints only JSON lines; anything else is passed through for the operator to see.
        console.log(line);
      }
    });
  });
}

mkdirSync(dataDir, { recursive: true });
step('building server and web UI', 'npm', ['run', 'build']);

console.log('demo: starting the NVR simulator (RTSP + Dahua HTTP on 127.0.0.1)');
const ready = await startSimulator('NVR simulator', 'simulators/nvr/src/main.ts', [
  '--http-port', String(nvr.httpPort),
  '--rtsp-port', String(nvr.rtspPort),
  '--data-dir', path.join(dataDir, 'nvr'),
  '--user', nvr.user,
  '--password', nvr.password,
]).catch((error) => {
  console.error(`demo: ${error.message}`);
  stopAll(1);
  return null;
});
if (!ready) process.exit(1);

console.log('demo: starting the 易办案 receiver simulator on 127.0.0.1');
const yibananReady = await startSimulator('易办案 simulator', 'simulators/yibanan/src/main.ts', [
  '--port', String(yibanan.port),
  '--control-port', String(yibanan.controlPort),
  '--token', yibanan.token,
  '--data-dir', path.join(dataDir, 'yibanan'),
]).catch((error) => {
  console.error(`demo: ${error.message}`);
  stopAll(1);
  return null;
});
if (!yibananReady) process.exit(1);

// The simulated unit's handlers include zhangming (工号 0371) and lihua (0372), so their cases match demo accounts.
console.log(`demo: starting the 大统一2.0 simulator with ${unified.seedCases} cases`);
const unifiedReady = await startSimulator('大统一2.0 simulator', 'simulators/unified/src/main.ts', [
  '--port', String(unified.port),
  '--control-port', String(unified.controlPort),
  '--token', unified.token,
  '--dwbm', unified.dwbm,
  '--data-dir', path.join(dataDir, 'unified'),
  '--seed-cases', String(unified.seedCases),
  '--suspects-per-case', '2',
]).catch((error) => {
  console.error(`demo: ${error.message}`);
  stopAll(1);
  return null;
});
if (!unifiedReady) process.exit(1);

const serverEnv = {
  TONGLU_DATA_DIR: dataDir,
  TONGLU_PORT: String(port),
  TONGLU_HOST: '127.0.0.1',
  TONGLU_ARCHIVE_DELAY_SECONDS: process.env.TONGLU_ARCHIVE_DELAY_SECONDS ?? '15',
  TONGLU_ARCHIVE_RETRY_BASE_SECONDS: process.env.TONGLU_ARCHIVE_RETRY_BASE_SECONDS ?? '10',
  TONGLU_YIBANAN_URL: `http://127.0.0.1:${yibananReady.port}`,
  TONGLU_YIBANAN_TOKEN: yibanan.token,
  TONGLU_YIBANAN_RETRY_BASE_SECONDS: process.env.TONGLU_YIBANAN_RETRY_BASE_SECONDS ?? '10',
  TONGLU_UNIFIED_URL: `http://127.0.0.1:${unifiedReady.port}`,
  TONGLU_UNIFIED_TOKEN: unified.token,
  TONGLU_UNIFIED_DWBM: unified.dwbm,
  TONGLU_UNIFIED_SYNC_INTERVAL_MINUTES: process.env.TONGLU_UNIFIED_SYNC_INTERVAL_MINUTES ?? '10',
};
step('creating demo accounts, room and cases', 'node', [
  'server/dist/cli/seed-demo.js',
  '--nvr-http-port', String(ready.httpPort),
  '--nvr-rtsp-port', String(ready.rtspPort),
  '--nvr-user', nvr.user,
  '--nvr-password', nvr.password,
  '--room-pc-ip', '127.0.0.1',
], serverEnv);

const server = spawn('node', ['server/dist/server.js'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...serverEnv } });
children.push(server);
server.on('exit', (code) => {
  console.error(`demo: server exited with code ${code}`);
  stopAll(code ?? 1);
});
const logFile = path.join(dataDir, 'server.log');
const { createWriteStream } = await import('node:fs');
const log = createWriteStream(logFile, { flags: 'a' });
let isAnnounced = false;
createInterface({ input: server.stdout }).on('line', (line) => {
  log.write(`${line}\n`);
  if (!isAnnounced && line.includes('Server listening')) {
    isAnnounced = true;
    console.log(`
Tonglu demo is running.

  Open            http://127.0.0.1:${port}  (in Chromium; this browser counts as the PC of the demo room 刑检-101讯问室)
  Prosecutor      zhangming / Tonglu@2026   (handler of the sample cases)
  Prosecutor 2    lihua / Tonglu@2026       (another handler: cannot see zhangming's cases)
  System admin    admin / Admin@2026        (房间管理, 大统一同步)
  Security admin  secadmin / Tonglu@2026    (roles and password resets in 用户管理)
  Audit admin     auditor / Tonglu@2026     (reads the audit log)

  Data folder     ${dataDir}
  Server log      ${logFile}
  NVR simulator   HTTP 127.0.0.1:${ready.httpPort}, RTSP 127.0.0.1:${ready.rtspPort}, switches: http://127.0.0.1:${ready.httpPort}/__sim/state
  易办案 simulator API 127.0.0.1:${yibananReady.port}, packages: http://127.0.0.1:${yibananReady.controlPort}/__sim/packages, switches: /__sim/state
  大统一2.0 sim    API 127.0.0.1:${unifiedReady.port}, switches: http://127.0.0.1:${unifiedReady.controlPort}/__sim/state
                  (the server pulls its cases at start and every ${serverEnv.TONGLU_UNIFIED_SYNC_INTERVAL_MINUTES} minutes)
  Archive delay   ${serverEnv.TONGLU_ARCHIVE_DELAY_SECONDS} s after 结束办案

Press Ctrl+C to stop.`);
  }
});
