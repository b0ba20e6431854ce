import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.js';

const SEEDED_CASES = 30;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(3, { unifiedCases: SEEDED_CASES });
});

afterAll(async () => {
  await stack?.stop();
});

async function openSyncPage(page: Page): Promise<void> {
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill('Admin@2026');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.goto(`${stack.baseUrl}/system/unified-sync`);
  await page.getByTestId('unified-status').waitFor();
}

describe('大统一同步 page', () => {
  it('立即同步 shows the counts', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await openSyncPage(page);

    await page.getByTestId('unified-sync-now').click();
    await page.getByTestId('unified-last-state').getByText('成功').waitFor({ timeout: 60_000 });
    const counts = (await page.getByTestId('unified-last-counts').textContent())?.trim() ?? '';
    const [fetched, created, updated, deleted, rejected] = counts.split('/').map((part) => Number(part.trim()));
    expect(fetched).toBe(SEEDED_CASES);
    expect((created ?? 0) + (updated ?? 0)).toBe(SEEDED_CASES);
    expect(deleted).toBe(0);
    expect(rejected).toBe(0);
    await page.getByTestId('unified-runs').getByText('立即同步').first().waitFor();
    await context.close();
  });

  it('import with a bad row shows the report', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await openSyncPage(page);

    const record = (sequence: number, name: string) => ({
      bmsah: `昆检刑诉受〔2026〕320583${String(950000 + sequence)}号`,
      ajmc: name,
      cbrgh: '0371',
      cbr: '张明',
      slrq: '2026-03-01',
      gxsj: '2026-03-01T09:30:00+08:00',
      xyr: [{ xyrbh: '1', xm: '钱某', zjlx_dm: '111', zjhm: '11010519491231002X' }],
    });
    const file = { cases: [record(1, '文件导入测试案'), record(2, '')] };
    await page.getByTestId('unified-import-file').setInputFiles({ name: 'cases.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });

    const report = page.getByTestId('unified-import-report');
    await report.getByText('缺少案件名称。').waitFor({ timeout: 30_000 });
    await report.getByText('昆检刑诉受[2026]320583950002号').waitFor();
    await expect(report.textContent()).resolves.toContain('新增 1 件');

    // The run history keeps the report: the rejected count opens the same rows in a dialog.
    await page.getByTestId('unified-runs').getByText('文件导入').first().waitFor();
    await page.getByTestId('unified-runs').locator('[data-testid^="unified-rejected-"]').first().click();
    await page.getByTestId('unified-rejected-dialog').getByText('缺少案件名称。').waitFor();
    await context.close();
  });
});
