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

async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

async function openSyncPage(page: Page): Promise<void> {
  await login(page, 'admin', 'Admin@2026');
  await page.goto(`${stack.baseUrl}/system/unified-sync`);
  await page.getByTestId('unified-status').waitFor();
}

function caseRecord(sequence: number, name: string, overrides: Record<string, unknown> = {}) {
  return {
    bmsah: `昆检刑诉受〔2026〕320583${String(950000 + sequence)}号`,
    ajmc: name,
    cbrgh: '0371',
    cbr: '张明',
    slrq: '2026-03-01',
    gxsj: '2026-03-01T09:30:00+08:00',
    xyr: [{ xyrbh: '1', xm: '钱某', zjlx_dm: '111', zjhm: '11010519491231002X' }],
    ...overrides,
  };
}

async function importJson(page: Page, name: string, content: unknown): Promise<void> {
  await page.getByTestId('unified-import-file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(content)) });
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

    await importJson(page, 'cases.json', { cases: [caseRecord(1, '文件导入测试案'), caseRecord(2, '')] });

    const report = page.getByTestId('unified-import-report');
    await report.getByText('缺少案件名称。请在导入文件中更正后重新导入。').waitFor({ timeout: 30_000 });
    await report.getByText('昆检刑诉受[2026]320583950002号').waitFor();
    await expect(report.textContent()).resolves.toContain('新增 1 件');

    // The run history keeps the report: the rejected count opens the same rows in a dialog.
    await page.getByTestId('unified-runs').getByText('文件导入').first().waitFor();
    await page.getByTestId('unified-runs').locator('[data-testid^="unified-rejected-"]').first().click();
    await page.getByTestId('unified-rejected-dialog').getByText('缺少案件名称。请在导入文件中更正后重新导入。').waitFor();
    await context.close();
  });

  it('report counts suspects apart and clears on failure', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await openSyncPage(page);

    const badSuspect = { xyrbh: '1', xm: '孙某', zjlx_dm: '111', zjhm: '110105194912310021' };
    await importJson(page, 'suspects.json', {
      cases: [caseRecord(3, '嫌疑人有误案', { xyr: [badSuspect] }), caseRecord(4, '已删除案件', { sfsc: 'Y' })],
    });
    const report = page.getByTestId('unified-import-report');
    await report.getByText('嫌疑人未导入 1 人').waitFor({ timeout: 30_000 });
    await expect(report.textContent()).resolves.toContain('未导入 0 件');
    const rejectedRow = report.locator('.el-table__body tr').first();
    await expect(rejectedRow.textContent()).resolves.toContain('第 1 条');
    await expect(rejectedRow.textContent()).resolves.toContain('证件号码');

    const history = page.getByTestId('unified-runs').locator('.el-table__body tr').first();
    await expect.poll(() => history.textContent(), { timeout: 10_000 }).toContain('suspects.json');
    await expect(history.textContent()).resolves.toContain('系统管理员');

    // A file that is neither JSON nor a workbook replaces the old report with the failure.
    await page.getByTestId('unified-import-file').setInputFiles({ name: 'picture.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]) });
    await page.getByTestId('unified-import-error').getByText('仅支持 JSON（.json）或 Excel（.xlsx）文件', { exact: false }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('unified-import-report').count()).resolves.toBe(0);
    await context.close();
  });

  it('console explains a case without suspects', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await login(page, 'zhangming', 'Tonglu@2026');
    await page.goto(`${stack.baseUrl}/console`);

    // The browser is the demo room's PC, so 开始案件同录 is shown.
    const caseSelect = page.getByTestId('case-select');
    await caseSelect.click();
    await caseSelect.locator('input').fill('嫌疑人有误案');
    await page.locator('[data-testid^="case-option-"]', { hasText: '嫌疑人有误案' }).click();
    await page.getByTestId('no-suspect-hint').getByText('大统一2.0 中的嫌疑人信息有误未能导入，请联系系统管理员核对后重新同步', { exact: false }).waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('start-session').isDisabled()).resolves.toBe(true);

    await caseSelect.click();
    await caseSelect.locator('input').fill('已删除案件');
    const deletedOption = page.locator('[data-testid^="case-option-"]', { hasText: '已删除案件' });
    await expect.poll(() => deletedOption.textContent(), { timeout: 10_000 }).toContain('已在大统一删除');
    await expect(deletedOption.getAttribute('class')).resolves.toContain('is-disabled');

    await page.goto(`${stack.baseUrl}/offsite/upload`);
    const uploadSelect = page.getByTestId('upload-case-select');
    await uploadSelect.click();
    await uploadSelect.locator('input').fill('已删除案件');
    const deletedUploadOption = page.locator('[data-testid^="upload-case-option-"]', { hasText: '已删除案件' });
    await expect.poll(() => deletedUploadOption.textContent(), { timeout: 10_000 }).toContain('已在大统一删除');
    await expect(deletedUploadOption.getAttribute('class')).resolves.toContain('is-disabled');
    await context.close();
  });
});
