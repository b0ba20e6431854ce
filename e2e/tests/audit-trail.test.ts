import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';

const root = path.resolve(import.meta.dirname, '../..');

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(3);
});

afterAll(async () => {
  await stack?.stop();
});

async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

function runVerifyCli(): { status: number | null; stdout: string } {
  const result = spawnSync('node', [path.join(root, 'server/dist/cli/audit-verify.js')], {
    env: { ...process.env, TONGLU_DATA_DIR: stack.dataDir },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout };
}

describe('安全审计 in Chromium', () => {
  it('shows a case access history to the handler', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await login(page, 'zhangming', 'Tonglu@2026');

    await page.goto(`${stack.baseUrl}/cases/recordings`);
    await page.locator('[data-testid^="case-details-"]').first().click();
    await page.getByTestId('sessions-dialog').waitFor();
    const history = page.getByTestId('file-access-history');
    await expect(history.textContent()).resolves.toContain('访问记录');
    await expect(page.getByTestId('file-access-table').textContent()).resolves.toContain('暂无播放或下载记录');
    await context.close();
  });

  it('searches, exports and verifies as the auditor', async () => {
    // A failed login gives the search a failure row to find.
    const failed = await fetch(`${stack.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'lihua', password: 'wrong-password' }),
    });
    expect(failed.status).toBe(401);

    const context = await stack.browser.newContext({ locale: 'zh-CN', acceptDownloads: true, viewport: { width: 1600, height: 900 } });
    const page = await context.newPage();
    await login(page, 'auditor', 'Tonglu@2026');

    await page.getByTestId('menu-system-audit').click();
    await page.waitForURL(/\/system\/audit/);
    await page.getByTestId('audit-table').locator('tbody tr').first().waitFor();

    await page.getByTestId('audit-username').fill('lihua');
    await page.getByTestId('audit-result').click();
    await page.getByRole('option', { name: '失败', exact: true }).click();
    await Promise.all([
      page.waitForResponse((response) => response.url().includes('/api/audit/events') && response.url().includes('lihua')),
      page.getByTestId('audit-search').click(),
    ]);
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    const rowText = await rows.first().textContent();
    expect(rowText).toContain('lihua');
    expect(rowText).toContain('登录');
    expect(rowText).toContain('失败');
    expect(rowText).toContain('原因：用户名或密码错误');
    await page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? stack.dataDir}/audit.png` });

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-csv').click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^安全审计日志-\d{8}-\d{6}\.csv$/);
    const csv = readFileSync((await csvDownload.path()) as string);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csvLines = csv.toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(csvLines[0]).toContain('操作');
    expect(csvLines).toHaveLength(2);
    expect(csvLines[1]).toContain('lihua');

    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-xlsx').click()]);
    expect(xlsxDownload.suggestedFilename()).toMatch(/\.xlsx$/);
    const xlsx = readFileSync((await xlsxDownload.path()) as string);
    expect(xlsx.subarray(0, 2).toString('latin1')).toBe('PK');

    await page.getByTestId('audit-verify').click();
    const verdict = page.getByTestId('audit-verify-result');
    await verdict.waitFor();
    await expect(verdict.textContent()).resolves.toContain('校验通过');
    expect(runVerifyCli().status).toBe(0);

    // Edit one row behind the server's back: the screen and the CLI must both name it.
    const database = new SQLite(path.join(stack.dataDir, 'tonglu.sqlite'));
    const target = database.prepare('select id from audit_events where seq = 2').get() as { id: number };
    database.prepare("update audit_events set client_ip = '127.0.0.9' where id = ?").run(target.id);
    database.close();

    await page.getByTestId('audit-verify').click();
    await verdict.filter({ hasText: '校验失败' }).waitFor();
    await expect(verdict.textContent()).resolves.toContain(`编号 ${target.id}`);
    const cli = runVerifyCli();
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain(`编号 ${target.id}`);
    await context.close();
  });

  it('hides the audit screen from officers', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await login(page, 'zhangming', 'Tonglu@2026');
    await expect(page.getByTestId('menu-system-audit').count()).resolves.toBe(0);
    await page.goto(`${stack.baseUrl}/system/audit`);
    await page.waitForURL(/\/forbidden/);
    await context.close();
  });
});
