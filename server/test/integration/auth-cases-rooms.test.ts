import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../src/db/seed.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let officer: string;
let otherOfficer: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  officer = await t.login('zhangming');
  otherOfficer = await t.login('lihua');
  admin = await t.login('admin');
});

afterAll(async () => {
  await t?.close();
});

async function count(table: 'cases' | 'suspects' | 'rooms' | 'recording_sessions' | 'jobs'): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('login', () => {
  it('rejects a wrong password in Chinese', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'zhangming', password: 'nope' } });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ code: 'INVALID_CREDENTIALS', message: '用户名或密码错误。' });
  });

  it('sets an HttpOnly SameSite=Strict cookie', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'zhangming', password: 'Tonglu@2026' } });
    const cookie = response.cookies.find((item) => item.name === 'tonglu_sid');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
  });

  it('reports the console room of the room PC', async () => {
    const fromRoom = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: officer } });
    expect(fromRoom.json().consoleRoom.name).toBe('刑检-101讯问室');
    const fromOffice = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: officer }, remoteAddress: '127.0.0.9' });
    expect(fromOffice.json().consoleRoom).toBeNull();
  });

  it('answers 401 without a session and after logout', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/cases' })).statusCode).toBe(401);
    const cookie = await t.login('zhangming');
    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect((await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie } })).statusCode).toBe(401);
  });
});

describe('cases', () => {
  it('lists only the handler own cases', async () => {
    const mine = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie: officer } })).json();
    expect(mine.items.map((item: { name: string }) => item.name).sort()).toEqual(['王某某盗窃案', '赵某某、钱某某危险驾驶案'].sort());
    const all = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie: admin } })).json();
    expect(all.total).toBe(3);
  });

  it('hides another handler case as not found', async () => {
    const mine = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie: officer } })).json();
    const response = await t.app.inject({ method: 'GET', url: `/api/cases/${mine.items[0].id}`, headers: { cookie: otherOfficer } });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('CASE_NOT_FOUND');
  });

  it('creates a self-built case with a generated number and masked IDs', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: officer },
      payload: { name: '测试自建案件', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '111', idNumber: withCheckDigit('32058319900101123') }] },
    });
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created.caseNumber).toMatch(/^昆检自建\[2026\]\d{10}$/);
    expect(created.suspects[0].idNumberMasked).toMatch(/^320583\*{8}\w{4}$/);
  });

  const badCases: [string, Record<string, unknown>, RegExp][] = [
    ['empty name', { name: '', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /案件名称|名称/],
    ['bad date', { name: '案', acceptedOn: '2026-13-45', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /受理时间/],
    ['wrong check digit', { name: '案', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '111', idNumber: '110105194912310021' }] }, /校验位/],
    ['unknown ID type', { name: '案', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '999', idNumber: 'E1234567' }] }, /证件类型/],
    ['no suspect', { name: '案', acceptedOn: '2026-03-01', suspects: [] }, /嫌疑人/],
    ['too long name', { name: '案'.repeat(201), acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /案件名称不能超过 200/],
    ['impossible date', { name: '案', acceptedOn: '2026-02-30', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /不是有效日期/],
    ['ancient date', { name: '案', acceptedOn: '1800-01-01', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /1990/],
    ['timestamp as date', { name: '案', acceptedOn: '2026-03-01T00:00:00Z', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /受理时间的格式不正确/],
    ['control characters', { name: 'a\u202eb案', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] }, /控制字符/],
    ['long suspect name', { name: '案', acceptedOn: '2026-03-01', suspects: [{ name: '周'.repeat(101), idTypeCode: '414', idNumber: 'E1234567' }] }, /对象姓名不能超过 100/],
  ];

  it.each(badCases)('rejects %s without writing', async (_label, payload, message) => {
    const before = [await count('cases'), await count('suspects')];
    const response = await t.app.inject({ method: 'POST', url: '/api/cases', headers: { cookie: officer }, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
    expect([await count('cases'), await count('suspects')]).toEqual(before);
  });

  it('treats full-width brackets as the same case number', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: officer },
      payload: { name: '重复', caseNumber: '昆检刑诉受〔2026〕320583000101号', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] },
    });
    expect(response.statusCode).toBe(409);
  });

  it('rejects a duplicate case number', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: officer },
      payload: { name: '重复', caseNumber: '昆检刑诉受[2026]320583000101号', acceptedOn: '2026-03-01', suspects: [{ name: '周某', idTypeCode: '414', idNumber: 'E1234567' }] },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('CASE_NUMBER_TAKEN');
  });
});

describe('rooms', () => {
  const form = {
    name: '未检-201询问室',
    sortOrder: 2,
    vendor: 'dahua',
    nvrHost: '127.0.0.1',
    nvrHttpPort: 9,
    nvrRtspPort: 9,
    username: 'admin',
    password: 's3cret-pass',
    deviceType: '硬盘录像机',
    channel: 2,
    pcIp: '127.0.0.50',
  };

  it('is for system admins only', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/rooms', headers: { cookie: officer } })).statusCode).toBe(403);
  });

  it('creates, edits and disables a room without ever returning the password', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/rooms', headers: { cookie: admin }, payload: form });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('s3cret-pass');
    expect(created.json().hasPassword).toBe(true);
    const id = created.json().id;

    const stored = await t.app.services.db.kysely.selectFrom('rooms').select('nvr_password_enc').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.nvr_password_enc).not.toContain('s3cret');

    const edited = await t.app.inject({ method: 'PUT', url: `/api/rooms/${id}`, headers: { cookie: admin }, payload: { ...form, name: '未检-202询问室', password: '' } });
    expect(edited.json().name).toBe('未检-202询问室');
    const after = await t.app.services.db.kysely.selectFrom('rooms').select('nvr_password_enc').where('id', '=', id).executeTakeFirstOrThrow();
    expect(after.nvr_password_enc).toBe(stored.nvr_password_enc);

    const disabled = await t.app.inject({ method: 'POST', url: `/api/rooms/${id}/enabled`, headers: { cookie: admin }, payload: { enabled: false } });
    expect(disabled.json().enabled).toBe(false);

    const list = await t.app.inject({ method: 'GET', url: '/api/rooms', headers: { cookie: admin } });
    expect(list.body).not.toContain('s3cret-pass');
    expect(list.body).not.toContain('password_enc');
  });

  it('rejects a room PC IP that another room uses', async () => {
    const before = await count('rooms');
    const response = await t.app.inject({ method: 'POST', url: '/api/rooms', headers: { cookie: admin }, payload: { ...form, name: '重复', pcIp: '127.0.0.1' } });
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toContain('刑检-101讯问室');
    expect(await count('rooms')).toBe(before);
  });

  it.each([
    ['bad NVR host', { nvrHost: 'not a host!' }, /硬盘录像机IP/],
    ['bad room IP', { pcIp: '999.1.1.1' }, /房间IP/],
    ['port out of range', { nvrHttpPort: 70000 }, /HTTP端口/],
    ['missing password', { password: undefined }, /登录密码/],
    ['unknown vendor', { vendor: 'sony' }, /厂商/],
  ])('rejects %s', async (_label, patch, message) => {
    const before = await count('rooms');
    const response = await t.app.inject({ method: 'POST', url: '/api/rooms', headers: { cookie: admin }, payload: { ...form, pcIp: '127.0.0.77', ...patch } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
    expect(await count('rooms')).toBe(before);
  });

  it('keeps the stored password for the saved device only', async () => {
    const rooms = (await t.app.inject({ method: 'GET', url: '/api/rooms', headers: { cookie: admin } })).json();
    const saved = rooms.find((room: { name: string }) => room.name === '刑检-101讯问室');
    const probe = { ...form, ...saved, password: '', roomId: saved.id, nvrHttpPort: 18091 };
    for (const key of ['id', 'hasPassword', 'enabled', 'busy', 'area']) delete probe[key];
    const response = await t.app.inject({ method: 'POST', url: '/api/rooms/test', headers: { cookie: admin }, payload: probe });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('请重新填写登录密码');
  });

  it('reports an unreachable NVR in Chinese', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/rooms/test', headers: { cookie: admin }, payload: { ...form, nvrHttpPort: 1 } });
    expect(response.statusCode).toBe(200);
    expect(response.json().ok).toBe(false);
    expect(response.json().reachable).toBe(false);
    expect(response.json().message).toMatch(/无法连接/);
  });
});

describe('request handling', () => {
  it('answers 401 before looking at the body', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/rooms', payload: {} });
    expect(response.statusCode).toBe(401);
  });

  it('answers 403 to the wrong role before looking at the body', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/rooms', headers: { cookie: officer }, payload: {} });
    expect(response.statusCode).toBe(403);
  });

  it('answers a malformed URL in Chinese', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/cases/%E0%A4%A', headers: { cookie: officer } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('请求地址无效');
  });

  it('sends security headers', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: officer } });
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('starting a session without a reachable NVR', () => {
  it('is refused away from the room PC', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, remoteAddress: '127.0.0.9', payload: { caseId: 1, suspectId: 1 } });
    expect(response.statusCode).toBe(403);
    expect(response.json().message).toContain('127.0.0.9');
  });

  it('rejects garbage ids with a Chinese message', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId: 'abc', suspectId: 1 } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('案件的格式不正确。');
  });

  it('reports the offline NVR and writes no session', async () => {
    const mine = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie: officer } })).json();
    const detail = (await t.app.inject({ method: 'GET', url: `/api/cases/${mine.items[0].id}`, headers: { cookie: officer } })).json();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { cookie: officer },
      payload: { caseId: detail.id, suspectId: detail.suspects[0].id },
    });
    expect(response.statusCode).toBe(502);
    expect(response.json().code).toBe('NVR_OFFLINE');
    expect(await count('recording_sessions')).toBe(0);
  });
});
