import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.js';

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

interface SessionJson {
  id: number;
  state: string;
  startedAt: string;
  endedAt: string;
  files: { id: number; kind: string; fileName: string; sha256: string; sm3: string; durationMs: number }[];
}

describe('newcomer flow in Chromium', () => {
  it('records in the room, then plays back and downloads exactly that stretch', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN', acceptDownloads: true, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await login(page, 'zhangming', 'Tonglu@2026');

    // The browser runs on 127.0.0.1, the demo room's PC, so login lands on 开始案件同录.
    await page.waitForURL(/\/console/);
    await expect(page.getByTestId('console-room').textContent()).resolves.toContain('刑检-101讯问室');

    await page.getByTestId('case-select').click();
    await page.locator('[data-testid^="case-option-"]', { hasText: '王某某盗窃案' }).click();
    await page.getByTestId('suspect-select').click();
    await page.locator('[data-testid^="suspect-option-"]', { hasText: '王某某' }).click();
    await page.getByTestId('start-session').click();

    // The live picture plays through MSE within a few seconds of the start.
    await page.waitForFunction(() => {
      const video = document.querySelector('[data-testid="live-video"]') as HTMLVideoElement | null;
      return video !== null && video.readyState >= 2 && video.currentTime > 0.5;
    }, undefined, { timeout: 20_000 });
    await page.waitForTimeout(6_000);
    const timer = await page.getByTestId('session-timer').textContent();
    expect(timer).toMatch(/00:00:0[5-9]|00:00:1\d/);
    await page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? stack.dataDir}/console.png` });

    await page.getByTestId('end-session').click();
    await expect(page.getByTestId('end-upload-checkbox').isChecked()).resolves.toBe(true);
    await page.getByTestId('end-confirm').click();
    await page.waitForURL(/\/login/);

    await login(page, 'zhangming', 'Tonglu@2026');
    await page.goto(`${stack.baseUrl}/cases/recordings`);
    const cases = (await (await page.request.get(`${stack.baseUrl}/api/cases`)).json()) as { items: { id: number; name: string }[] };
    const caseId = cases.items.find((item) => item.name === '王某某盗窃案')?.id as number;
    await page.getByTestId(`case-details-${caseId}`).click();

    let session: SessionJson | undefined;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const sessions = (await (await page.request.get(`${stack.baseUrl}/api/cases/${caseId}/sessions`)).json()) as SessionJson[];
      session = sessions[0];
      if (session?.state === 'archived') break;
      await page.waitForTimeout(1_000);
    }
    expect(session?.state).toBe('archived');
    const video = session?.files.find((file) => file.kind === 'video');
    if (!session || !video) throw new Error('no archived video');

    // The dialog refreshes itself and shows the state and both hashes.
    await expect.poll(() => page.getByTestId(`session-state-${session.id}`).textContent(), { timeout: 15_000 }).toContain('已归档');
    await expect(page.getByTestId(`file-sha256-${video.id}`).textContent()).resolves.toContain(video.sha256);
    await expect(page.getByTestId(`file-sm3-${video.id}`).textContent()).resolves.toContain(video.sm3);

    await page.getByTestId(`file-play-${video.id}`).click();
    const duration = await page.waitForFunction(() => {
      const element = document.querySelector('[data-testid="player-video"]') as HTMLVideoElement | null;
      return element && Number.isFinite(element.duration) && element.duration > 0 ? element.duration : null;
    }, undefined, { timeout: 20_000 });
    const sessionSeconds = (Date.parse(session.endedAt) - Date.parse(session.startedAt)) / 1000;
    const playedSeconds = (await duration.jsonValue()) ?? 0;
    // The product requests whole seconds around the session, and a -c copy clip starts at the keyframe at or before
    // that start (one per second here). So the video covers the session and exceeds that range by one GOP at most.
    const rangeSeconds = Math.ceil(Date.parse(session.endedAt) / 1000) - Math.floor(Date.parse(session.startedAt) / 1000);
    expect(playedSeconds).toBeGreaterThan(sessionSeconds - 0.5);
    expect(playedSeconds).toBeLessThan(rangeSeconds + 1.2);

    // Seeking works through HTTP Range requests.
    const seeked = await page.evaluate(async () => {
      const element = document.querySelector('[data-testid="player-video"]') as HTMLVideoElement;
      const target = element.duration / 2;
      element.currentTime = target;
      await new Promise((resolve) => element.addEventListener('seeked', resolve, { once: true }));
      return Math.abs(element.currentTime - target) < 1.5;
    });
    expect(seeked).toBe(true);
    await page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? stack.dataDir}/playback.png` });
    await page.keyboard.press('Escape');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`file-download-${video.id}`).click()]);
    expect(download.suggestedFilename()).toBe(video.fileName);
    const saved = await download.path();
    expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(video.sha256);

    await context.close();
  });

  it('hides another handler case from a second prosecutor', async () => {
    const context = await stack.browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await login(page, 'lihua', 'Tonglu@2026');
    await page.goto(`${stack.baseUrl}/cases/recordings`);
    await expect.poll(() => page.getByTestId('recordings-table').textContent(), { timeout: 10_000 }).toContain('孙某某诈骗案');
    await expect(page.getByTestId('recordings-table').textContent()).resolves.not.toContain('王某某盗窃案');
    expect((await page.request.get(`${stack.baseUrl}/api/cases/1/sessions`)).status()).toBe(404);
    await context.close();
  });
});
