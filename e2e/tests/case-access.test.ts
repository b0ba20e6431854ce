import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startStack(1);
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await stack?.stop();
});

const passwords: Record<string, string> = { zhangming: 'Tonglu@2026', lihua: 'Tonglu@2026', admin: 'Admin@2026' };

async function openAs(username: string): Promise<Page> {
  const context = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(passwords[username] as string);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return page;
}

async function caseIdOf(page: Page, name: string): Promise<number> {
  const list = (await (await page.request.get(`${stack.baseUrl}/api/cases?pageSize=100`)).json()) as { items: { id: number; name: string }[] };
  const found = list.items.find((item) => item.name === name);
  if (!found) throw new Error(`case ${name} not listed`);
  return found.id;
}

async function statusOf(page: Page, url: string): Promise<number> {
  return (await page.request.get(`${stack.baseUrl}${url}`)).status();
}

/** Local time in China as the date pickers show it: YYYY-MM-DD HH:mm:ss. */
function chinaTime(msAgo: number): string {
  const shifted = new Date(Date.now() - msAgo + 8 * 3600_000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}`;
}

function withCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let index = 0; index < 17; index += 1) sum += Number(first17[index]) * (weights[index] as number);
  return first17 + ('10X98765432'[sum % 11] as string);
}

describe('case access in Chromium', () => {
  it('grants a case through the transfer list', async () => {
    const handler = await openAs('zhangming');
    const theftId = await caseIdOf(handler, '王某某盗窃案');
    const colleague = await openAs('lihua');
    expect(await statusOf(colleague, `/api/cases/${theftId}`)).toBe(404);

    await handler.goto(`${stack.baseUrl}/recording/grants`);
    await handler.getByTestId(`grant-open-${theftId}`).click();
    const dialog = handler.getByTestId('grant-dialog');
    const candidates = dialog.locator('.el-transfer-panel').first();
    await candidates.locator('.el-transfer-panel__filter input').fill('第二检察部');
    await candidates.locator('.el-transfer-panel__item', { hasText: '李华' }).click();
    await dialog.locator('.el-transfer__buttons button').nth(1).click();
    await expect(dialog.locator('.el-transfer-panel').nth(1).textContent()).resolves.toContain('李华');
    await handler.getByTestId('grant-confirm').click();
    await expect.poll(() => handler.locator('.el-message').textContent(), { timeout: 10_000 }).toContain('新增 1 人');

    expect(await statusOf(colleague, `/api/cases/${theftId}`)).toBe(200);
  });

  it('searches recorded cases by pinyin initials', async () => {
    const page = await openAs('lihua');
    await page.goto(`${stack.baseUrl}/cases/recorded`);
    await page.getByTestId('recorded-suspect-name').fill('wmm');
    await page.getByTestId('recorded-search').click();
    const table = page.getByTestId('recorded-table');
    // The unfiltered first page lists both cases, so wait until the other case has gone.
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).not.toContain('孙某某诈骗案');
    await expect(table.textContent()).resolves.toContain('王某某盗窃案');
    await expect(table.textContent()).resolves.toContain('授权人员');

    await page.getByTestId('recorded-suspect-name').fill('');
    await page.getByTestId('recorded-case-name').fill('smmzp');
    await page.getByTestId('recorded-search').click();
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).not.toContain('王某某盗窃案');
    await expect(table.textContent()).resolves.toContain('孙某某诈骗案');
  });

  it('adds and edits a self-built case', async () => {
    const page = await openAs('zhangming');
    await page.goto(`${stack.baseUrl}/cases/self-built`);
    await page.getByTestId('self-built-add').click();
    await page.getByTestId('case-form-name').fill('周某某寻衅滋事案');
    await page.getByTestId('case-form-accepted-on').locator('input').fill('2026-03-01');
    await page.getByTestId('case-form-accepted-on').locator('input').press('Enter');
    await page.getByTestId('case-form-suspect-name-0').fill('周某某');
    await page.getByTestId('case-form-suspect-id-number-0').fill(withCheckDigit('32058319900101123'));
    await page.getByTestId('case-form-submit').click();
    await expect.poll(() => page.getByTestId('self-built-table').textContent(), { timeout: 10_000 }).toContain('周某某寻衅滋事案');

    const caseId = await caseIdOf(page, '周某某寻衅滋事案');
    await page.getByTestId(`self-built-edit-${caseId}`).click();
    await expect.poll(() => page.getByTestId('case-form-suspect-name-0').inputValue(), { timeout: 10_000 }).toBe('周某某');
    await page.getByTestId('case-form-name').fill('周某某寻衅滋事案（补充）');
    await page.getByTestId('case-form-add-suspect').click();
    await page.getByTestId('case-form-suspect-name-1').fill('吴某');
    await page.getByTestId('case-form-suspect-id-number-1').fill(withCheckDigit('32058319850505201'));
    await page.getByTestId('case-form-submit').click();
    await expect.poll(() => page.getByTestId('self-built-table').textContent(), { timeout: 10_000 }).toContain('周某某寻衅滋事案（补充）');

    const detail = (await (await page.request.get(`${stack.baseUrl}/api/cases/${caseId}`)).json()) as { suspects: { name: string }[] };
    expect(detail.suspects.map((suspect) => suspect.name)).toEqual(['周某某', '吴某']);

    // The browser is the demo room's PC, so the new case is offered in 开始案件同录 at once.
    await page.goto(`${stack.baseUrl}/console`);
    await page.getByTestId('case-select').click();
    await expect.poll(() => page.locator(`[data-testid="case-option-${caseId}"]`).count(), { timeout: 10_000 }).toBe(1);
  });

  it('ends a forgotten session from the list', async () => {
    const page = await openAs('zhangming');
    const theftId = await caseIdOf(page, '王某某盗窃案');
    const detail = (await (await page.request.get(`${stack.baseUrl}/api/cases/${theftId}`)).json()) as { suspects: { id: number }[] };
    const { csrfToken } = (await (await page.request.get(`${stack.baseUrl}/api/auth/me`)).json()) as { csrfToken: string };
    const started = await page.request.post(`${stack.baseUrl}/api/sessions`, {
      data: { caseId: theftId, suspectId: detail.suspects[0]?.id },
      headers: { 'X-Tonglu-CSRF': csrfToken },
    });
    expect(started.status()).toBe(201);
    const session = (await started.json()) as { id: number };

    await page.goto(`${stack.baseUrl}/recording/active`);
    await page.getByTestId(`active-end-${session.id}`).click();
    await page.getByTestId('end-upload-checkbox').click();
    await page.getByTestId('end-confirm').click();
    // The browser runs on the room PC itself, so ending there logs it out and the page returns to login.
    await page.waitForURL(/\/login/, { timeout: 15_000 });

    const admin = await openAs('admin');
    const sessions = (await (await admin.request.get(`${stack.baseUrl}/api/cases/${theftId}/sessions`)).json()) as { id: number; state: string; uploadToYibanan: boolean }[];
    const ended = sessions.find((item) => item.id === session.id);
    expect(ended?.state).not.toBe('recording');
    expect(ended?.uploadToYibanan).toBe(false);
  });

  it('backfills a past range as admin', async () => {
    const page = await openAs('admin');
    const fraudId = await caseIdOf(page, '孙某某诈骗案');
    await page.goto(`${stack.baseUrl}/cases/backfill`);
    await page.getByTestId('backfill-case').click();
    await page.locator(`[data-testid="backfill-case-option-${fraudId}"]`).click();
    await expect.poll(() => page.getByTestId('backfill-suspect').textContent(), { timeout: 10_000 }).toContain('孙某某');
    await page.getByTestId('backfill-room').click();
    await page.locator('[data-testid^="backfill-room-option-"]').first().click();
    const startInput = page.getByTestId('backfill-started-at').locator('input');
    await startInput.fill(chinaTime(12_000));
    await startInput.press('Enter');
    const endInput = page.getByTestId('backfill-ended-at').locator('input');
    await endInput.fill(chinaTime(4_000));
    await endInput.press('Enter');
    await page.getByTestId('backfill-submit').click();
    await expect.poll(() => page.locator('.el-form-item__error').count()).toBeGreaterThan(0);
    await expect(page.locator('.el-form-item__error').textContent()).resolves.toContain('请填写补录原因');

    await page.getByTestId('backfill-reason').fill('房间电脑故障，未能开始办案');
    await page.getByTestId('backfill-submit').click();
    await expect.poll(() => page.locator('.el-message').textContent(), { timeout: 15_000 }).toContain('补录已提交');

    let state = '';
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && state !== 'archived') {
      const sessions = (await (await page.request.get(`${stack.baseUrl}/api/cases/${fraudId}/sessions`)).json()) as { kind: string; state: string }[];
      state = sessions.find((item) => item.kind === 'backfill')?.state ?? '';
      if (state !== 'archived') await page.waitForTimeout(1_000);
    }
    expect(state).toBe('archived');

    await page.goto(`${stack.baseUrl}/cases/recordings`);
    await page.getByTestId(`case-details-${fraudId}`).click();
    await expect.poll(() => page.locator('.el-dialog').last().textContent(), { timeout: 10_000 }).toContain('视频补录');
  });

  it('transfers a case to a new handler', async () => {
    const page = await openAs('admin');
    const drivingId = await caseIdOf(page, '赵某某、钱某某危险驾驶案');
    const oldHandler = await openAs('zhangming');
    expect(await statusOf(oldHandler, `/api/cases/${drivingId}`)).toBe(200);

    await page.goto(`${stack.baseUrl}/cases/transfer`);
    await page.getByTestId(`transfer-open-${drivingId}`).click();
    await expect(page.getByTestId('transfer-current-handler').textContent()).resolves.toBe('张明');
    await page.getByTestId('transfer-handler').click();
    await page.locator('[data-testid^="transfer-handler-option-"]', { hasText: '李华' }).click();
    await page.getByTestId('transfer-confirm').click();
    await expect.poll(() => page.getByTestId('transfer-table').textContent(), { timeout: 10_000 }).toContain('李华');

    expect(await statusOf(oldHandler, `/api/cases/${drivingId}`)).toBe(404);
    const newHandler = await openAs('lihua');
    expect(await statusOf(newHandler, `/api/cases/${drivingId}`)).toBe(200);
  });
});
