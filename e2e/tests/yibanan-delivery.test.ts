import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIRequestContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let clip: Buffer;

interface DeliveryJson {
  id: number;
  packageId: string;
  state: string;
}

beforeAll(async () => {
  // One attempt per package, so a refused upload shows 推送失败 at once.
  stack = await startStack(3, { serverEnv: { TONGLU_YIBANAN_MAX_ATTEMPTS: '1' } });
  const clipPath = path.join(stack.dataDir, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-movflags', '+faststart', clipPath]);
  clip = readFileSync(clipPath);
});

afterAll(async () => {
  await stack?.stop();
});

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Records an off-site session through the API as the handler, which archives it and creates its package. */
async function recordOffsiteSession(request: APIRequestContext): Promise<number> {
  const me = (await (await request.get(`${stack.baseUrl}/api/auth/me`)).json()) as { csrfToken: string };
  const headers = { 'X-Tonglu-CSRF': me.csrfToken };
  const cases = (await (await request.get(`${stack.baseUrl}/api/cases`)).json()) as { items: { id: number; name: string }[] };
  const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
  const detail = (await (await request.get(`${stack.baseUrl}/api/cases/${caseId}`)).json()) as { suspects: { id: number }[] };

  const started = await request.post(`${stack.baseUrl}/api/offsite-sessions`, {
    headers,
    data: { caseId, suspectId: detail.suspects[0]?.id, startedAt: new Date(Date.now() - 7200_000).toISOString(), endedAt: new Date(Date.now() - 3600_000).toISOString() },
  });
  expect(started.status()).toBe(201);
  const sessionId = ((await started.json()) as { id: number }).id;
  const metadata = `sessionId ${Buffer.from(String(sessionId)).toString('base64')},filename ${Buffer.from('外出讯问.mp4').toString('base64')}`;
  const created = await request.post(`${stack.baseUrl}/api/uploads`, { headers: { ...headers, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(clip.length), 'Upload-Metadata': metadata } });
  expect(created.status()).toBe(201);
  const patched = await request.patch(`${stack.baseUrl}${created.headers().location}`, {
    headers: { ...headers, 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
    data: clip,
  });
  expect(patched.status()).toBe(204);
  expect((await request.post(`${stack.baseUrl}/api/offsite-sessions/${sessionId}/end`, { headers })).status()).toBe(200);
  return sessionId;
}

/** Records a short room session as the handler and ends it without the 易办案 tick. */
async function recordRoomSessionWithoutUpload(request: APIRequestContext): Promise<number> {
  const me = (await (await request.get(`${stack.baseUrl}/api/auth/me`)).json()) as { csrfToken: string };
  const headers = { 'X-Tonglu-CSRF': me.csrfToken };
  const cases = (await (await request.get(`${stack.baseUrl}/api/cases`)).json()) as { items: { id: number; name: string }[] };
  const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
  const detail = (await (await request.get(`${stack.baseUrl}/api/cases/${caseId}`)).json()) as { suspects: { id: number }[] };

  const started = await request.post(`${stack.baseUrl}/api/sessions`, { headers, data: { caseId, suspectId: detail.suspects[0]?.id } });
  expect(started.status(), await started.text()).toBe(201);
  const sessionId = ((await started.json()) as { id: number }).id;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const ended = await request.post(`${stack.baseUrl}/api/sessions/${sessionId}/end`, { headers, data: { uploadToYibanan: false } });
  expect(ended.status(), await ended.text()).toBe(200);
  return sessionId;
}

async function waitForDelivery(request: APIRequestContext, packageId: string, state: string): Promise<DeliveryJson> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const list = (await (await request.get(`${stack.baseUrl}/api/deliveries?pageSize=200`)).json()) as { items: DeliveryJson[] };
    const found = list.items.find((item) => item.packageId === packageId);
    if (found?.state === state) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${packageId} to be ${state}`);
}

describe('易办案推送 page in Chromium', () => {
  it('shows a delivered package and retries a failed one', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport: { width: 1600, height: 900 } });
    const officer = await context.newPage();
    await logIn(officer, 'zhangming', 'Tonglu@2026');
    const adminContext = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport: { width: 1600, height: 900 } });
    const admin = await adminContext.newPage();
    await logIn(admin, 'admin', 'Admin@2026');

    const deliveredSession = await recordOffsiteSession(officer.request);
    const delivered = await waitForDelivery(admin.request, `TL-320583-${deliveredSession}-1`, 'delivered');

    // 易办案 refuses every manifest, and with one attempt per package the next one fails for good.
    await stack.yibanan.setState({ errorStatus: 500, errorRoute: 'put' });
    const failedSession = await recordOffsiteSession(officer.request);
    const failed = await waitForDelivery(admin.request, `TL-320583-${failedSession}-1`, 'failed');
    await stack.yibanan.setState({ errorStatus: null, errorRoute: null });

    await admin.goto(`${stack.baseUrl}/system/deliveries`);
    await expect.poll(() => admin.getByTestId(`delivery-state-${delivered.id}`).textContent()).toBe('已推送');
    expect(await admin.getByTestId(`delivery-package-${delivered.id}`).textContent()).toBe(delivered.packageId);
    expect(await admin.getByTestId(`delivery-state-${failed.id}`).textContent()).toBe('推送失败');
    expect(await admin.getByTestId(`delivery-error-${failed.id}`).textContent()).toContain('HTTP 500');
    expect(await admin.getByTestId(`delivery-retry-${delivered.id}`).count()).toBe(0);

    // Searching by state keeps only the failed package.
    await admin.getByTestId('delivery-state').click();
    await admin.locator('.el-select-dropdown__item:visible', { hasText: '推送失败' }).first().click();
    await admin.getByTestId('delivery-search').click();
    await expect.poll(() => admin.getByTestId(`delivery-state-${delivered.id}`).count()).toBe(0);
    expect(await admin.getByTestId(`delivery-state-${failed.id}`).count()).toBe(1);
    await admin.getByTestId('delivery-reset').click();

    await admin.getByTestId(`delivery-retry-${failed.id}`).click();
    await admin.locator('.el-message-box__btns .el-button--primary').click();
    // The page refreshes itself while the package is queued or sending, so the tag turns 已推送 without a reload.
    await expect.poll(() => admin.getByTestId(`delivery-state-${failed.id}`).textContent(), { timeout: 30_000 }).toBe('已推送');
    const received = await stack.yibanan.getPackage(failed.packageId);
    expect(received?.acceptCount).toBe(1);

    await context.close();
    await adminContext.close();
  });

  it('shows skipped and failed packages readably at 1440 px', async () => {
    const viewport = { width: 1440, height: 900 };
    const officerContext = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport });
    const officer = await officerContext.newPage();
    await logIn(officer, 'zhangming', 'Tonglu@2026');
    const adminContext = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport });
    const admin = await adminContext.newPage();
    await logIn(admin, 'admin', 'Admin@2026');

    // A room session ended without the 易办案 tick gets a skipped package. The browser's 127.0.0.1 is the room PC,
    // and ending a session there logs its user out, so the room session gets its own context.
    const roomContext = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'UTC', viewport });
    const roomPage = await roomContext.newPage();
    await logIn(roomPage, 'zhangming', 'Tonglu@2026');
    const skippedSession = await recordRoomSessionWithoutUpload(roomPage.request);
    await roomContext.close();
    const skipped = await waitForDelivery(admin.request, `TL-320583-${skippedSession}-1`, 'skipped');

    // The receiver refuses the connection, so the only attempt fails with a network error.
    await stack.yibanan.setState({ down: true });
    const failedSession = await recordOffsiteSession(officer.request);
    const failed = await waitForDelivery(admin.request, `TL-320583-${failedSession}-1`, 'failed');
    await stack.yibanan.setState({ down: false });

    await admin.goto(`${stack.baseUrl}/system/deliveries`);
    await expect.poll(() => admin.getByTestId(`delivery-state-${skipped.id}`).textContent()).toBe('不推送');
    expect((await admin.getByTestId(`delivery-package-${skipped.id}`).textContent())?.trim()).toBe('未生成');
    expect((await admin.getByTestId(`delivery-progress-${skipped.id}`).textContent())?.trim()).toBe('—');

    const reason = (await admin.getByTestId(`delivery-error-${failed.id}`).textContent()) ?? '';
    expect(reason).toContain('无法连接易办案系统（连接被拒绝）');
    expect(reason).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(reason).not.toContain('。）');

    // At 1440 px the time column fits inside the table, and a receipt number stays on one line.
    const table = await admin.getByTestId('delivery-table').boundingBox();
    const created = await admin.getByTestId(`delivery-created-${failed.id}`).boundingBox();
    if (!table || !created) throw new Error('the table or its time cell is not visible');
    expect(created.x + created.width).toBeLessThanOrEqual(table.x + table.width);
    const receipt = admin.locator('[data-testid^="delivery-receipt-"]').first();
    const receiptBox = await receipt.boundingBox();
    const lineHeight = await receipt.evaluate((element) => parseFloat(getComputedStyle(element).lineHeight));
    expect(receiptBox?.height).toBeLessThan(lineHeight * 1.5);

    // 详细资料 offers the handler 重试 and keeps its labels on one line next to the long reason.
    const cases = (await (await officer.request.get(`${stack.baseUrl}/api/cases`)).json()) as { items: { id: number; name: string }[] };
    const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
    await officer.goto(`${stack.baseUrl}/cases/recordings`);
    await officer.getByTestId(`case-details-${caseId}`).click();
    const retryButton = officer.getByTestId(`session-delivery-retry-${failed.id}`);
    await retryButton.waitFor();
    const detailReason = (await officer.getByTestId(`session-delivery-error-${failed.id}`).textContent()) ?? '';
    expect(detailReason).toContain('由案件承办人或系统管理员点击“重试”');
    expect(detailReason).not.toContain('。）');
    const label = officer.getByTestId(`session-${failedSession}`).locator('.el-descriptions__label', { hasText: '上传易办案' });
    const labelLines = await label.evaluate((element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
    });
    expect(labelLines).toBe(1);
    expect((await label.textContent())?.trim()).toBe('上传易办案');
    expect(await label.evaluate((element) => getComputedStyle(element).whiteSpace)).toBe('nowrap');

    await retryButton.click();
    await officer.locator('.el-message-box__btns .el-button--primary').click();
    await waitForDelivery(admin.request, failed.packageId, 'delivered');
    await expect.poll(() => officer.getByTestId(`session-delivery-state-${failed.id}`).textContent(), { timeout: 30_000 }).toBe('已推送');

    await officerContext.close();
    await adminContext.close();
  });
});
