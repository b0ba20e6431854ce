import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let pdfPath: string;
let fakePdfPath: string;
let mkvPath: string;
let notVideoPath: string;

interface SessionJson {
  id: number;
  kind: string;
  state: string;
  files: { id: number; kind: string; fileName: string }[];
}

beforeAll(async () => {
  stack = await startStack(3);
  pdfPath = path.join(stack.dataDir, '讯问笔录.pdf');
  writeFileSync(pdfPath, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  fakePdfPath = path.join(stack.dataDir, '伪装笔录.pdf');
  writeFileSync(fakePdfPath, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300, 0)]));
  mkvPath = path.join(stack.dataDir, '外出讯问.mkv');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=320x240:rate=25', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', mkvPath]);
  notVideoPath = path.join(stack.dataDir, '不是视频.mp4');
  writeFileSync(notVideoPath, '这只是一段文字，不是视频。\n'.repeat(100));
});

afterAll(async () => {
  await stack?.stop();
});

async function openPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({ locale: 'zh-CN', timezoneId: 'UTC', acceptDownloads: true, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill('zhangming');
  await page.getByTestId('login-password').fill('Tonglu@2026');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return { context, page };
}

async function theftCaseId(page: Page): Promise<number> {
  const cases = (await (await page.request.get(`${stack.baseUrl}/api/cases`)).json()) as { items: { id: number; name: string }[] };
  return cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
}

async function caseSessions(page: Page, caseId: number): Promise<SessionJson[]> {
  return (await (await page.request.get(`${stack.baseUrl}/api/cases/${caseId}/sessions`)).json()) as SessionJson[];
}

/** Selects the case and, when asked, the suspect in the shared picker of the upload pages. */
async function pickCase(page: Page, withSuspect: boolean): Promise<void> {
  await page.getByTestId('upload-case-select').click();
  await page.locator('[data-testid^="upload-case-option-"]', { hasText: '王某某盗窃案' }).click();
  if (withSuspect) {
    await page.getByTestId('upload-suspect-select').click();
    await page.locator('[data-testid^="upload-suspect-option-"]', { hasText: '王某某' }).click();
  }
}

/** Formats a time as the date picker's text, in UTC like the browser context. */
function pickerText(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

async function fillDateTime(page: Page, testId: string, date: Date): Promise<void> {
  const input = page.locator(`input[data-testid="${testId}"], [data-testid="${testId}"] input`).first();
  await input.click();
  await input.fill(pickerText(date));
  await input.press('Enter');
  await page.keyboard.press('Escape');
}

describe('documents, off-site uploads and dossier in Chromium', () => {
  it('上传文书 during a room session, then 资料补充 in 详细资料', async () => {
    const { context, page } = await openPage();
    await page.waitForURL(/\/console/);
    await page.getByTestId('case-select').click();
    await page.locator('[data-testid^="case-option-"]', { hasText: '王某某盗窃案' }).click();
    await page.getByTestId('suspect-select').click();
    await page.locator('[data-testid^="suspect-option-"]', { hasText: '王某某' }).click();
    await page.getByTestId('start-session').click();

    const caseId = await theftCaseId(page);
    const active = (await caseSessions(page, caseId)).find((session) => session.state === 'recording') as SessionJson;
    await page.getByTestId(`document-input-${active.id}`).setInputFiles(pdfPath);
    await expect.poll(() => page.getByTestId(`document-table-${active.id}`).textContent(), { timeout: 10_000 }).toContain('讯问笔录.pdf');

    // A file whose bytes are not a PDF is rejected with the server's Chinese message.
    await page.getByTestId(`document-input-${active.id}`).setInputFiles(fakePdfPath);
    await page.locator('.el-message', { hasText: '内容不是允许的类型' }).first().waitFor({ timeout: 10_000 });
    await expect(page.getByTestId(`document-table-${active.id}`).textContent()).resolves.not.toContain('伪装笔录.pdf');

    await page.getByTestId('end-session').click();
    await page.getByTestId('end-confirm').click();
    await page.waitForURL(/\/login/);
    await context.close();

    const second = await openPage();
    await second.page.goto(`${stack.baseUrl}/cases/recordings`);
    await second.page.getByTestId(`case-details-${caseId}`).click();
    await second.page.getByTestId(`document-input-${active.id}`).setInputFiles(pdfPath);
    await expect.poll(() => second.page.getByTestId(`addition-table-${active.id}`).textContent(), { timeout: 10_000 }).toContain('讯问笔录.pdf');
    await expect(second.page.getByTestId(`addition-table-${active.id}`).textContent()).resolves.toContain('张明');
    await expect(second.page.getByTestId(`document-table-${active.id}`).textContent()).resolves.toContain('讯问笔录.pdf');

    // 资料补充 to the case as a whole, outside any session.
    await second.page.getByTestId('case-document-input').setInputFiles(pdfPath);
    await expect.poll(() => second.page.getByTestId('case-document-table').textContent(), { timeout: 10_000 }).toContain('讯问笔录.pdf');
    await second.page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? stack.dataDir}/documents.png` });
    await second.context.close();
  });

  it('非办案区同录: upload, reject, delete, end and archive', async () => {
    const { context, page } = await openPage();
    await page.goto(`${stack.baseUrl}/offsite/upload`);
    await pickCase(page, true);
    await fillDateTime(page, 'offsite-started-at', new Date(Date.now() - 2 * 3600_000));
    await fillDateTime(page, 'offsite-ended-at', new Date(Date.now() - 3600_000));
    await page.getByTestId('offsite-start').click();
    await page.getByTestId('offsite-session-info').waitFor();

    await page.getByTestId('offsite-video-input').setInputFiles(mkvPath);
    await expect.poll(() => page.getByTestId('offsite-upload-list').textContent().catch(() => ''), { timeout: 30_000 }).toContain('已上传');
    await expect(page.getByTestId('offsite-upload-list').textContent()).resolves.toContain('外出讯问.mkv');

    await page.getByTestId('offsite-video-input').setInputFiles(notVideoPath);
    await page.locator('.el-message', { hasText: '不是视频文件' }).first().waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('offsite-upload-list').textContent()).resolves.not.toContain('不是视频.mp4');

    // A wrong upload is removed from the right-hand list before 结束办案.
    const copyPath = path.join(stack.dataDir, '传错的视频.mkv');
    writeFileSync(copyPath, readFileSync(mkvPath));
    await page.getByTestId('offsite-video-input').setInputFiles(copyPath);
    await expect.poll(() => page.getByTestId('offsite-upload-list').textContent(), { timeout: 30_000 }).toContain('传错的视频.mkv');
    const wrong = page.locator('li[data-testid^="offsite-upload-"]', { hasText: '传错的视频.mkv' });
    await expect.poll(() => wrong.textContent(), { timeout: 30_000 }).toContain('已上传');
    await wrong.locator('[data-testid^="offsite-remove-"]').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await expect.poll(() => page.getByTestId('offsite-upload-list').textContent(), { timeout: 10_000 }).not.toContain('传错的视频.mkv');

    await page.getByTestId('offsite-end').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await page.getByTestId('offsite-ended').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? stack.dataDir}/offsite.png` });

    const caseId = await theftCaseId(page);
    await expect.poll(async () => (await caseSessions(page, caseId)).find((session) => session.kind === 'off-site')?.state, { timeout: 60_000 }).toBe('archived');
    const offsite = (await caseSessions(page, caseId)).find((session) => session.kind === 'off-site') as SessionJson;
    expect(offsite.files.filter((file) => file.kind === 'video')).toHaveLength(1);
    expect(offsite.files.find((file) => file.kind === 'video')?.fileName).toMatch(/\.mp4$/);
    await context.close();
  });

  it('电子卷宗下载 lists and downloads the dossier', async () => {
    const { context, page } = await openPage();
    await page.goto(`${stack.baseUrl}/cases/dossier`);
    await pickCase(page, false);
    await expect.poll(() => page.getByTestId('dossier-table').textContent(), { timeout: 10_000 }).toContain('起诉意见书.pdf');
    await expect(page.getByTestId('dossier-table').textContent()).resolves.toContain('诉讼文书卷/起诉意见书');

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid^="dossier-download-"]').first().click()]);
    expect(download.suggestedFilename()).toBe('起诉意见书.pdf');
    const saved = await download.path();
    expect(readFileSync(saved).subarray(0, 5).toString()).toBe('%PDF-');
    await context.close();
  });
});
