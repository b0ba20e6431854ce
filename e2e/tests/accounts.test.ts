import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(3);
});

afterAll(async () => {
  await stack?.stop();
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
  return { context, page: await context.newPage() };
}

async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${stack.baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** Adds an officer through the API as the security-and-system admin, the way the 用户管理 screen does. */
async function createOfficer(username: string, displayName: string): Promise<void> {
  const context = await stack.browser.newContext();
  try {
    const loggedIn = await context.request.post(`${stack.baseUrl}/api/auth/login`, { data: { username: 'admin', password: 'Admin@2026' } });
    const { csrfToken } = (await loggedIn.json()) as { csrfToken: string };
    const created = await context.request.post(`${stack.baseUrl}/api/users`, {
      data: { username, displayName, departmentId: null },
      headers: { 'X-Tonglu-CSRF': csrfToken },
    });
    expect(created.status()).toBe(201);
  } finally {
    await context.close();
  }
}

async function confirmMessageBox(page: Page): Promise<void> {
  await page.locator('.el-message-box__btns .el-button--primary').click();
}

async function pickOption(page: Page, text: string): Promise<void> {
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click();
}

describe('login with the account rules', () => {
  it('forces a change of the default password first', async () => {
    await createOfficer('wangfang', '王芳');
    const { context, page } = await newPage();

    await login(page, 'wangfang', '123456');
    await page.waitForURL(/\/password/);
    await page.getByTestId('password-notice').getByText('初始密码').first().waitFor();

    // Any other page leads back to 修改密码 until the password is changed.
    await page.goto(`${stack.baseUrl}/cases/recordings`);
    await page.waitForURL(/\/password/);

    await page.getByTestId('password-old').fill('123456');
    await page.getByTestId('password-new').fill('abcdefgh');
    await page.getByTestId('password-confirm').fill('abcdefgh');
    await page.getByTestId('password-submit').click();
    await page.locator('.el-message--error', { hasText: '至少 8 位' }).first().waitFor();

    await page.getByTestId('password-new').fill('Wangfang@2026');
    await page.getByTestId('password-confirm').fill('Wangfang@2026');
    await page.getByTestId('password-submit').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/password') && !url.pathname.startsWith('/login'));
    await expect(page.getByTestId('current-user').textContent()).resolves.toBe('王芳');
    await context.close();

    const again = await newPage();
    await login(again.page, 'wangfang', 'Wangfang@2026');
    await again.page.waitForURL((url) => !url.pathname.startsWith('/login') && !url.pathname.startsWith('/password'));
    await again.context.close();
  });

  it('locks the account after five wrong passwords', async () => {
    await createOfficer('zhaolei', '赵磊');
    const { context, page } = await newPage();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await login(page, 'zhaolei', 'Wrong@2026');
      await page.locator('.el-message--error').first().waitFor();
      if (attempt < 5) await page.locator('.el-message').first().evaluate((element) => element.remove());
    }
    await page.locator('.el-message--error', { hasText: '账号已锁定' }).first().waitFor();
    await context.close();
  });
});

describe('用户管理 screen', () => {
  it('adds, edits, assigns roles, resets, disables and deletes users', async () => {
    const { context, page } = await newPage();
    await login(page, 'admin', 'Admin@2026');
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    await page.getByTestId('menu-system-users').click();
    await page.waitForURL(/\/system\/users/);
    await page.getByTestId('users-table').locator('tbody tr').first().waitFor();

    // Department tree: add a department, then a user in it.
    await page.getByTestId('department-add').click();
    await page.getByTestId('department-name').fill('案件管理部');
    await page.getByTestId('department-save').click();
    await page.getByTestId('department-node-案件管理部').click();

    await page.getByTestId('user-add').click();
    await page.getByTestId('user-form-username').fill('chenjing');
    await page.getByTestId('user-form-display-name').fill('陈静');
    await page.getByTestId('user-form-submit').click();
    await page.getByTestId('user-edit-chenjing').waitFor();
    await page.getByTestId('users-table').getByText('案件管理部').first().waitFor();

    // Bad input: a taken login name is rejected with the server's message.
    await page.getByTestId('user-add').click();
    await page.getByTestId('user-form-username').fill('chenjing');
    await page.getByTestId('user-form-display-name').fill('重复');
    await page.getByTestId('user-form-submit').click();
    await page.locator('.el-message--error', { hasText: '登录账号已被使用' }).first().waitFor();
    await page.keyboard.press('Escape');

    // Edit the basic data.
    await page.getByTestId('user-edit-chenjing').click();
    await page.getByTestId('user-form-display-name').fill('陈静怡');
    await page.getByTestId('user-form-submit').click();
    await page.getByTestId('users-table').getByText('陈静怡').first().waitFor();

    // 更多 → 分配角色: all three admin roles are rejected in the form.
    await page.getByTestId('user-more-chenjing').click();
    await page.getByTestId('user-roles-chenjing').click();
    await page.getByTestId('role-sysadmin').click();
    await page.getByTestId('role-secadmin').click();
    await page.getByTestId('role-auditor').click();
    await page.getByTestId('roles-submit').click();
    await page.getByTestId('roles-dialog').getByText('不能同时担任').first().waitFor();
    await page.getByTestId('role-secadmin').click();
    await page.getByTestId('roles-submit').click();
    await page.getByTestId('roles-dialog').waitFor({ state: 'hidden' });
    await page.getByTestId('users-table').getByText('系统管理员、安全审计员').first().waitFor();

    // 更多 → 重置密码.
    await page.getByTestId('user-more-chenjing').click();
    await page.getByTestId('user-reset-chenjing').click();
    await confirmMessageBox(page);
    await page.locator('.el-message--success', { hasText: '密码已重置' }).first().waitFor();

    // A user with history (zhangming handles cases) can only be disabled.
    await page.getByTestId('department-all').click();
    await page.getByTestId('user-search-username').fill('zhangming');
    await page.getByTestId('user-search').click();
    await page.getByTestId('user-delete-zhangming').click();
    await confirmMessageBox(page);
    await page.locator('.el-message--error', { hasText: '请改为停用' }).first().waitFor();
    await page.getByTestId('user-toggle-zhangming').click();
    await confirmMessageBox(page);
    await page.getByTestId('user-status-zhangming').getByText('停用').first().waitFor();
    await page.getByTestId('user-toggle-zhangming').click();
    await confirmMessageBox(page);
    await page.getByTestId('user-status-zhangming').getByText('正常').first().waitFor();

    // Search by status, then delete the new user, who has no history.
    await page.getByTestId('user-search-username').fill('chenjing');
    await page.getByTestId('user-search-status').click();
    await pickOption(page, '正常');
    await page.getByTestId('user-search').click();
    await page.getByTestId('user-delete-chenjing').click();
    await confirmMessageBox(page);
    await page.getByTestId('user-delete-chenjing').waitFor({ state: 'detached' });

    await page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? stack.dataDir}/users.png` });
    await context.close();
  });
});
