import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let admin: string;
let secadmin: string;
let sysadmin: string;

async function inject(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, cookie: string, payload?: Record<string, unknown>) {
  return t.app.inject({ method, url, headers: { cookie }, payload });
}

async function loginResponse(username: string, password: string, remoteAddress = '127.0.0.1') {
  return t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
}

async function createUser(username: string, roles?: string[]): Promise<number> {
  const response = await inject('POST', '/api/users', admin, { username, displayName: `用户${username}`, departmentId: null, ...(roles ? { roles } : {}) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function userRow(username: string) {
  return t.app.services.db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
}

async function auditActions(username: string): Promise<string[]> {
  const rows = await t.app.services.db.kysely.selectFrom('audit_events').select(['action', 'result']).where('username', '=', username).orderBy('id').execute();
  return rows.map((row) => `${row.action}:${row.result}`);
}

async function countUsers(): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

beforeAll(async () => {
  t = await createTestApp({ passwordMaxAgeDays: 90 });
  admin = await t.login('admin');
  secadmin = await t.login('secadmin');
  const sysId = await createUser('sysonly', ['sysadmin']);
  expect(sysId).toBeGreaterThan(0);
  const first = await t.login('sysonly', '123456');
  await inject('POST', '/api/auth/password', first, { oldPassword: '123456', newPassword: 'Sysonly@2026' });
  sysadmin = await t.login('sysonly', 'Sysonly@2026');
});

afterAll(async () => {
  await t?.close();
});

describe('first login with the default password', () => {
  it('allows only the password change', async () => {
    await createUser('newbie');
    const login = await loginResponse('newbie', '123456');
    expect(login.statusCode).toBe(200);
    expect(login.json().user.passwordChangeReason).toBe('initial');
    const cookie = await t.login('newbie', '123456');

    const cases = await inject('GET', '/api/cases', cookie);
    expect(cases.statusCode).toBe(403);
    expect(cases.json().code).toBe('PASSWORD_CHANGE_REQUIRED');
    expect((await inject('GET', '/api/auth/me', cookie)).statusCode).toBe(200);
  });

  it('rejects weak and default new passwords', async () => {
    const cookie = await t.login('newbie', '123456');
    for (const newPassword of ['123456', 'abcdefgh', 'Abc1!', '12345678']) {
      const response = await inject('POST', '/api/auth/password', cookie, { oldPassword: '123456', newPassword });
      expect(response.statusCode, newPassword).toBe(400);
      expect(response.json().message).toMatch(/至少 8 位|不能与原密码相同/);
    }
    expect((await userRow('newbie')).must_change_password).toBe(1);
  });

  it('rejects a wrong old password', async () => {
    const cookie = await t.login('newbie', '123456');
    const response = await inject('POST', '/api/auth/password', cookie, { oldPassword: '654321', newPassword: 'Newbie@2026' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ code: 'OLD_PASSWORD_WRONG', message: '原密码不正确。' });
  });

  it('opens the system after the change', async () => {
    const cookie = await t.login('newbie', '123456');
    const response = await inject('POST', '/api/auth/password', cookie, { oldPassword: '123456', newPassword: 'Newbie@2026' });
    expect(response.statusCode).toBe(200);
    expect(response.json().user.passwordChangeReason).toBeNull();
    expect((await inject('GET', '/api/cases', cookie)).statusCode).toBe(200);
    expect(await auditActions('newbie')).toContain('auth.password.change:success');
  });
});

describe('password expiry', () => {
  it('forces a change after the maximum age', async () => {
    await createUser('oldtimer');
    const first = await t.login('oldtimer', '123456');
    await inject('POST', '/api/auth/password', first, { oldPassword: '123456', newPassword: 'Oldtimer@2026' });
    const longAgo = new Date(Date.now() - 91 * 24 * 3600 * 1000).toISOString();
    await t.app.services.db.kysely.updateTable('users').set({ password_changed_at: longAgo }).where('username', '=', 'oldtimer').execute();

    const login = await loginResponse('oldtimer', 'Oldtimer@2026');
    expect(login.json().user.passwordChangeReason).toBe('expired');
    const cookie = await t.login('oldtimer', 'Oldtimer@2026');
    expect((await inject('GET', '/api/cases', cookie)).json().code).toBe('PASSWORD_CHANGE_REQUIRED');
  });
});

describe('lockout', () => {
  it('locks after five failures and rejects the right password', async () => {
    await createUser('unlucky');
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      expect((await loginResponse('unlucky', 'wrong')).statusCode).toBe(401);
    }
    const fifth = await loginResponse('unlucky', 'wrong');
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json().code).toBe('ACCOUNT_LOCKED');

    const right = await loginResponse('unlucky', '123456');
    expect(right.statusCode).toBe(423);
    expect(right.json().message).toContain('账号已锁定');
    expect(await auditActions('unlucky')).toContain('auth.lockout:success');
  });

  it('unlocks after the lockout time', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    await t.app.services.db.kysely.updateTable('users').set({ locked_until: past }).where('username', '=', 'unlucky').execute();
    expect((await loginResponse('unlucky', '123456')).statusCode).toBe(200);
  });

  it('resets the count after a success', async () => {
    await loginResponse('unlucky', 'wrong');
    await loginResponse('unlucky', '123456');
    expect((await userRow('unlucky')).failed_login_count).toBe(0);
  });

  it('is lifted by a password reset', async () => {
    for (let attempt = 1; attempt <= 5; attempt += 1) await loginResponse('unlucky', 'wrong');
    expect((await loginResponse('unlucky', '123456')).statusCode).toBe(423);
    const id = (await userRow('unlucky')).id;
    expect((await inject('POST', `/api/users/${id}/password-reset`, secadmin)).statusCode).toBe(204);
    expect((await loginResponse('unlucky', '123456')).statusCode).toBe(200);
  });
});

describe('login rate limit', () => {
  it('answers 429 in Chinese above the limit per IP', async () => {
    const limited = await createTestApp({ loginRateLimitPerMinute: 3 });
    try {
      const attempt = (remoteAddress: string) =>
        limited.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lihua', password: 'wrong' }, remoteAddress });
      for (let index = 0; index < 3; index += 1) expect((await attempt('127.0.0.30')).statusCode).toBe(401);
      const blocked = await attempt('127.0.0.30');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json()).toEqual({ code: 'LOGIN_RATE_LIMITED', message: '登录尝试过于频繁，请一分钟后再试。' });
      expect((await attempt('127.0.0.31')).statusCode).toBe(401);
      // /api/auth/me gives the hints the configured policy; here the defaults.
      const cookie = await limited.login('lihua', undefined, '127.0.0.32');
      const me = await limited.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie }, remoteAddress: '127.0.0.32' });
      expect(me.json().passwordPolicy).toEqual({ minLength: 8, isInitialPasswordDefault: true });
      await expect
        .poll(async () => {
          const rows = await limited.app.services.db.kysely.selectFrom('audit_events').select(['client_ip', 'username', 'details']).where('action', '=', 'auth.login').execute();
          return rows.filter((row) => row.details?.includes('rate_limited')).map((row) => `${row.client_ip} ${row.username}`);
        })
        .toEqual(['127.0.0.30 lihua']);
    } finally {
      await limited.close();
    }
  });
});

describe('CSRF protection', () => {
  it('rejects a state change without the token', async () => {
    const before = await countUsers();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie: admin, 'x-tonglu-csrf': '' },
      payload: { username: 'csrfvictim', displayName: '跨站', departmentId: null },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('CSRF_TOKEN_INVALID');
    expect(await countUsers()).toBe(before);
  });

  it('rejects another session token', async () => {
    const other = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lihua', password: 'Tonglu@2026' } });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/departments',
      headers: { cookie: admin, 'x-tonglu-csrf': other.json().csrfToken },
      payload: { name: '跨站部门', parentId: null },
    });
    expect(response.statusCode).toBe(403);
  });

  it('returns the token with the current user', async () => {
    const me = await inject('GET', '/api/auth/me', admin);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/departments',
      headers: { cookie: admin, 'x-tonglu-csrf': me.json().csrfToken },
      payload: { name: 'CSRF测试部门', parentId: null },
    });
    expect(response.statusCode).toBe(201);
  });
});

describe('separation of duties', () => {
  it('keeps role changes from the system admin', async () => {
    const id = await createUser('target1');
    const response = await inject('PUT', `/api/users/${id}/roles`, sysadmin, { roles: ['auditor'] });
    expect(response.statusCode).toBe(403);
    expect((await userRow('target1')).roles).toBe('officer');
  });

  it('keeps password resets from the system admin', async () => {
    const id = (await userRow('target1')).id;
    expect((await inject('POST', `/api/users/${id}/password-reset`, sysadmin)).statusCode).toBe(403);
  });

  it('keeps basic data from the security admin', async () => {
    const id = (await userRow('target1')).id;
    expect((await inject('PUT', `/api/users/${id}`, secadmin, { displayName: '改名', departmentId: null })).statusCode).toBe(403);
    expect((await inject('POST', '/api/users', secadmin, { username: 'bysec', displayName: '安全', departmentId: null })).statusCode).toBe(403);
  });

  it('lets the security admin assign roles', async () => {
    const id = (await userRow('target1')).id;
    const response = await inject('PUT', `/api/users/${id}/roles`, secadmin, { roles: ['sysadmin', 'auditor'] });
    expect(response.statusCode).toBe(200);
    expect(response.json().roles).toEqual(['sysadmin', 'auditor']);
    expect(await auditActions('secadmin')).toContain('user.roles:success');
  });

  it('rejects all three admin roles on one account', async () => {
    const id = (await userRow('target1')).id;
    const response = await inject('PUT', `/api/users/${id}/roles`, secadmin, { roles: ['sysadmin', 'secadmin', 'auditor'] });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('ALL_ADMIN_ROLES');
    expect((await userRow('target1')).roles).toBe('sysadmin,auditor');
  });

  it('rejects a change of the own roles', async () => {
    const own = (await userRow('secadmin')).id;
    const response = await inject('PUT', `/api/users/${own}/roles`, secadmin, { roles: ['secadmin', 'officer'] });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('OWN_ACCOUNT_CHANGE');
    expect((await userRow('secadmin')).roles).toBe('secadmin');
  });

  it('rejects disabling, resetting or deleting oneself', async () => {
    const own = (await userRow('admin')).id;
    expect((await inject('POST', `/api/users/${own}/status`, admin, { status: 'disabled' })).json().code).toBe('OWN_ACCOUNT_CHANGE');
    expect((await inject('POST', `/api/users/${own}/password-reset`, admin)).json().code).toBe('OWN_ACCOUNT_CHANGE');
    expect((await inject('DELETE', `/api/users/${own}`, admin)).json().code).toBe('OWN_ACCOUNT_CHANGE');
  });

  it('lets one admin do both when the setting is off', async () => {
    const relaxed = await createTestApp({ separationOfDuties: false, passwordMinLength: 12, defaultPassword: 'Init#Pass2026' });
    try {
      const cookie = await relaxed.login('secadmin');
      // The hints follow this site's settings and never carry the initial password itself.
      const me = await relaxed.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
      expect(me.json().passwordPolicy).toEqual({ minLength: 12, isInitialPasswordDefault: false });
      expect(me.body).not.toContain('Init#Pass2026');
      const response = await relaxed.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: { cookie },
        payload: { username: 'bysec', displayName: '安全', departmentId: null, roles: ['auditor'] },
      });
      expect(response.statusCode).toBe(201);
    } finally {
      await relaxed.close();
    }
  });
});

describe('user management', () => {
  it('searches by name, login, department and status with pagination', async () => {
    const tree = (await inject('GET', '/api/departments', admin)).json();
    const office = tree.find((node: { name: string }) => node.name === '办公室');
    const byDepartment = (await inject('GET', `/api/users?departmentId=${office.id}`, admin)).json();
    expect(byDepartment.items.map((item: { username: string }) => item.username).sort()).toEqual(['admin', 'auditor', 'secadmin']);

    const byName = (await inject('GET', `/api/users?displayName=${encodeURIComponent('张明')}`, admin)).json();
    expect(byName.items.map((item: { username: string }) => item.username)).toEqual(['zhangming']);

    const disabled = (await inject('GET', '/api/users?status=disabled', admin)).json();
    expect(disabled.total).toBe(0);

    const page = (await inject('GET', '/api/users?page=1&pageSize=2&username=a', admin)).json();
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
  });

  it('finds users of sub-departments', async () => {
    const parent = (await inject('POST', '/api/departments', admin, { name: '上级部门', parentId: null })).json();
    const child = (await inject('POST', '/api/departments', admin, { name: '下级部门', parentId: parent.id })).json();
    const created = await inject('POST', '/api/users', admin, { username: 'childuser', displayName: '下级用户', departmentId: child.id });
    expect(created.json().departmentName).toBe('下级部门');
    const found = (await inject('GET', `/api/users?departmentId=${parent.id}`, admin)).json();
    expect(found.items.map((item: { username: string }) => item.username)).toEqual(['childuser']);
  });

  it('rejects a department below itself', async () => {
    const tree = (await inject('GET', '/api/departments', admin)).json();
    const parent = tree.find((node: { name: string }) => node.name === '上级部门');
    const response = await inject('PUT', `/api/departments/${parent.id}`, admin, { name: '上级部门', parentId: parent.children[0].id });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('DEPARTMENT_CYCLE');
  });

  it('rejects bad input without a change', async () => {
    const before = await countUsers();
    const cases: [Record<string, unknown>, number][] = [
      [{ username: '', displayName: '空', departmentId: null }, 400],
      [{ username: 'x'.repeat(33), displayName: '长', departmentId: null }, 400],
      [{ username: '张三', displayName: '中文账号', departmentId: null }, 400],
      [{ username: 'okname', displayName: '   ', departmentId: null }, 400],
      [{ username: 'okname', displayName: '部门', departmentId: 99999 }, 404],
      [{ username: 'zhangming', displayName: '重复', departmentId: null }, 409],
    ];
    for (const [payload, status] of cases) {
      const response = await inject('POST', '/api/users', admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.json().message).toMatch(/[\u4e00-\u9fa5]/);
    }
    expect(await countUsers()).toBe(before);
  });

  it('deletes a user without history', async () => {
    const id = await createUser('fresh');
    expect((await inject('DELETE', `/api/users/${id}`, admin)).statusCode).toBe(204);
    expect((await inject('GET', '/api/users?username=fresh', admin)).json().total).toBe(0);
  });

  it('keeps a user with history and says to disable', async () => {
    const id = (await userRow('zhangming')).id;
    const response = await inject('DELETE', `/api/users/${id}`, admin);
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toContain('停用');
  });

  it('keeps a user referenced by another table', async () => {
    const id = await createUser('referenced');
    await sql`create table test_user_refs (user_id integer not null references users(id))`.execute(t.app.services.db.kysely);
    await sql`insert into test_user_refs (user_id) values (${id})`.execute(t.app.services.db.kysely);

    const response = await inject('DELETE', `/api/users/${id}`, admin);
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('USER_HAS_HISTORY');
    expect((await userRow('referenced')).id).toBe(id);
  });

  it('disables a user and ends the sessions', async () => {
    const cookie = await t.login('lihua');
    const id = (await userRow('lihua')).id;
    expect((await inject('POST', `/api/users/${id}/status`, admin, { status: 'disabled' })).json().status).toBe('disabled');
    expect((await inject('GET', '/api/cases', cookie)).statusCode).toBe(401);
    expect((await loginResponse('lihua', 'Tonglu@2026')).statusCode).toBe(403);
    await inject('POST', `/api/users/${id}/status`, admin, { status: 'active' });
    expect((await loginResponse('lihua', 'Tonglu@2026')).statusCode).toBe(200);
  });

  it('resets a password to the default and forces a change', async () => {
    const id = (await userRow('newbie')).id;
    expect((await inject('POST', `/api/users/${id}/password-reset`, secadmin)).statusCode).toBe(204);
    const login = await loginResponse('newbie', '123456');
    expect(login.json().user.passwordChangeReason).toBe('initial');
    expect(await auditActions('secadmin')).toContain('user.password.reset:success');
  });
});
