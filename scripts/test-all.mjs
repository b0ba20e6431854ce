#!/usr/bin/env node
// Runs every check and test suite in order and prints one summary line: "N passed, N failed".
// PostgreSQL suites run when TONGLU_TEST_DATABASE_URL is set (scripts/setup.sh prepares it when run as root).
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

// scripts/setup.sh writes the PostgreSQL URL it prepared here.
const envFile = path.join(root, '.tonglu-test.env');
if (!process.env.TONGLU_TEST_DATABASE_URL && existsSync(envFile)) {
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const [key, ...value] = line.split('=');
    if (key === 'TONGLU_TEST_DATABASE_URL') process.env[key] = value.join('=').trim();
  }
}
const reportDir = mkdtempSync(path.join(tmpdir(), 'tonglu-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];

function run(label, command, args, options = {}) {
  console.log(`\n=== ${label} ===`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...options.env } });
  if (result.status !== 0) failedSteps.push(label);
  return result.status === 0;
}

function runVitest(label, workspace, extraArgs = [], env = {}) {
  const report = path.join(reportDir, `${label.replace(/\W+/g, '-')}.json`);
  const ok = run(label, 'npx', ['vitest', 'run', '--root', workspace, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs], { env });
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += summary.numPassedTests;
    totals.failed += summary.numFailedTests;
    totals.skipped += summary.numPendingTests + (summary.numTodoTests ?? 0);
    if (summary.numTotalTests === 0) failedSteps.push(`${label}: no tests ran`);
  } else if (!ok) {
    totals.failed += 1;
  }
}

run('lint', 'npx', ['eslint', '.']);
run('typecheck server', 'npx', ['tsc', '-p', 'server/tsconfig.json', '--noEmit']);
run('typecheck simulators', 'npx', ['tsc', '-p', 'simulators/tsconfig.json', '--noEmit']);
run('typecheck e2e', 'npx', ['tsc', '-p', 'e2e/tsconfig.json', '--noEmit']);
run('typecheck bench', 'npx', ['tsc', '-p', 'bench/tsconfig.json', '--noEmit']);
run('build server', 'npm', ['run', 'build', '-w', 'server']);
run('typecheck web', 'npm', ['run', 'typecheck', '-w', 'web']);
run('build web', 'npm', ['run', 'build', '-w', 'web']);

runVitest('server (SQLite)', 'server');
if (process.env.TONGLU_TEST_DATABASE_URL) {
  runVitest('server (PostgreSQL)', 'server', ['test/integration'], { TONGLU_TEST_DIALECT: 'postgres' });
} else {
  console.log('\nTONGLU_TEST_DATABASE_URL is not set: PostgreSQL suites skipped (scripts/setup.sh prepares it when run as root).');
  if (process.env.CI) failedSteps.push('PostgreSQL suites: TONGLU_TEST_DATABASE_URL is not set in CI');
}
runVitest('simulators', 'simulators');
runVitest('e2e (Chromium)', 'e2e');

rmSync(reportDir, { recursive: true, force: true });
console.log(`\nFailed steps: ${failedSteps.length === 0 ? 'none' : failedSteps.join('; ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length === 0 && totals.failed === 0 ? 0 : 1);
