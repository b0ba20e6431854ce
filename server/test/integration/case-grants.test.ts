import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/adapters/crypto/password.js';
import { withCheckDigit } from '../../src/db/seed.js';
import { nowIso } from '../../src/lib/time.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let theftCaseId: number;
let drivingCaseId: number;
let fraudCaseId: number;
let zhangmingId: number;
let lihuaId: number;
let wangfangId: number;
let disabledId: number;
let adminId: number;

const OFFICE_PC = '127.0.0.9';

beforeAll(async () => {
  t = await createTestApp();
  const db = t.app.services.db.kysely;
  const now = nowIso();
  const hash = await hashPassword('Tonglu@2026');
  await db.insertInto('users').values({ username: 'wangfang', display_name: '王芳', department_id: null, roles: 'officer', password_hash: hash, must_change_password: 0, status: 'active', created_at: now }).execute();
  await db.insertInto('users').values({ username: 'zhaoliu', display_name: '赵六', department_id: null, roles: 'officer', password_hash: hash, must_change_password: 0, status: 'disabled', created_at: now }).execute();

  const users = await db.selectFrom('users').select(['id', 'username']).execute();
  const idOf = (name: string) => users.find((user) => user.username === name)?.id as number;
  zhangmingId = idOf('zhangming');
  lihuaId = idOf('lihua');
  wangfangId = idOf('wangfang');
  disabledId = idOf('zhaoliu');
  adminId = idOf('admin');
  const cases = await db.selectFrom('cases').select(['id', 'name']).execute();
  const caseOf = (name: string) => cases.find((row) => row.name === name)?.id as number;
  theftCaseId = caseOf('王某某盗窃案');
  drivingCaseId = caseOf('赵某某、钱某某危险驾驶案');
  fraudCaseId = caseOf('孙某某诈骗案');
});

afterAll(async () => {
  await t?.close();
});

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, username: string, payload?: object, remoteAddress = OFFICE_PC) {
  const cookie = await t.login(username);
  return t.app.inject({ method, url, headers: { cookie }, payload, remoteAddress });
}

async function activeGrantees(caseId: number): Promise<number[]> {
  const rows = await t.app.services.db.kysely.selectFrom('case_grants').select('grantee_id').where('case_id', '=', caseId).where('revoked_at', 'is', null).orderBy('grantee_id').execute();
  return rows.map((row) => row.grantee_id);
}

async function auditCount(action: string): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function insertRecordingSession(caseId: number, operatorId: number): Promise<number> {
  const db = t.app.services.db.kysely;
  const suspect = await db.selectFrom('suspects').select('id').where('case_id', '=', caseId).executeTakeFirstOrThrow();
  const room = await db.selectFrom('rooms').select('id').executeTakeFirstOrThrow();
  const now = nowIso();
  const row = await db
    .insertInto('recording_sessions')
    .values({ case_id: caseId, suspect_id: suspect.id, kind: 'room', room_id: room.id, operator_id: operatorId, started_at: now, ended_at: null, clock_offset_ms: 0, upload_to_yibanan: 1, state: 'recording', failure_reason: null, gaps: '[]', archive_attempts: 0, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('case grants', () => {
  it('lists candidates by name and department', async () => {
    const response = await call('GET', `/api/grant-candidates?keyword=${encodeURIComponent('第二检察部')}`, 'zhangming');
    expect(response.statusCode).toBe(200);
    expect(response.json().map((person: { displayName: string }) => person.displayName)).toEqual(['李华']);
    const all = (await call('GET', '/api/grant-candidates', 'zhangming')).json() as { username: string }[];
    expect(all.map((person) => person.username)).not.toContain('zhaoliu');
    expect(all.map((person) => person.username)).not.toContain('admin');
  });

  it('grants a case so the grantee sees it', async () => {
    expect((await call('GET', `/api/cases/${theftCaseId}`, 'wangfang')).statusCode).toBe(404);
    const response = await call('PUT', `/api/cases/${theftCaseId}/grants`, 'zhangming', { granteeIds: [wangfangId] });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().added).toEqual([wangfangId]);
    expect(response.json().grants[0].displayName).toBe('王芳');

    expect((await call('GET', `/api/cases/${theftCaseId}`, 'wangfang')).statusCode).toBe(200);
    const list = (await call('GET', '/api/cases', 'wangfang')).json();
    expect(list.items.map((item: { id: number }) => item.id)).toEqual([theftCaseId]);
    expect((await call('GET', `/api/cases/${theftCaseId}/sessions`, 'wangfang')).statusCode).toBe(200);
    expect(await auditCount('case.grant')).toBe(1);
  });

  it('revokes a grant so the case is hidden again', async () => {
    await call('POST', `/api/cases/${drivingCaseId}/grants`, 'zhangming', { granteeId: lihuaId });
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'lihua')).statusCode).toBe(200);

    const response = await call('DELETE', `/api/cases/${drivingCaseId}/grants/${lihuaId}`, 'zhangming');
    expect(response.statusCode).toBe(204);
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'lihua')).statusCode).toBe(404);
    expect(await auditCount('case.grant.revoke')).toBe(1);
  });

  it('replaces the grant set, revoking the missing ones', async () => {
    await call('PUT', `/api/cases/${drivingCaseId}/grants`, 'zhangming', { granteeIds: [lihuaId, wangfangId] });
    const response = await call('PUT', `/api/cases/${drivingCaseId}/grants`, 'zhangming', { granteeIds: [wangfangId] });
    expect(response.json().removed).toEqual([lihuaId]);
    expect(await activeGrantees(drivingCaseId)).toEqual([wangfangId]);
  });

  it('rejects granting to the handler', async () => {
    const response = await call('POST', `/api/cases/${fraudCaseId}/grants`, 'lihua', { granteeId: lihuaId });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain('不能授权给自己');
    expect(await activeGrantees(fraudCaseId)).toEqual([]);
  });

  it('rejects a duplicate grant', async () => {
    await call('POST', `/api/cases/${fraudCaseId}/grants`, 'lihua', { granteeId: wangfangId });
    const response = await call('POST', `/api/cases/${fraudCaseId}/grants`, 'lihua', { granteeId: wangfangId });
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toContain('无需重复授权');
    expect(await activeGrantees(fraudCaseId)).toEqual([wangfangId]);
    const twice = await call('PUT', `/api/cases/${fraudCaseId}/grants`, 'lihua', { granteeIds: [zhangmingId, zhangmingId] });
    expect(twice.statusCode).toBe(400);
    expect(await activeGrantees(fraudCaseId)).toEqual([wangfangId]);
  });

  it('rejects unknown, disabled and non-officer people', async () => {
    for (const granteeId of [99999, disabledId, adminId]) {
      const response = await call('PUT', `/api/cases/${fraudCaseId}/grants`, 'lihua', { granteeIds: [wangfangId, granteeId] });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('PERSON_NOT_FOUND');
    }
    expect(await activeGrantees(fraudCaseId)).toEqual([wangfangId]);
  });

  it('answers 404 to strangers and 403 to grantees', async () => {
    expect((await call('GET', `/api/cases/${fraudCaseId}/grants`, 'zhangming')).statusCode).toBe(404);
    expect((await call('POST', `/api/cases/${fraudCaseId}/grants`, 'zhangming', { granteeId: zhangmingId })).statusCode).toBe(404);
    expect((await call('DELETE', `/api/cases/${fraudCaseId}/grants/${wangfangId}`, 'zhangming')).statusCode).toBe(404);
    const grantee = await call('POST', `/api/cases/${fraudCaseId}/grants`, 'wangfang', { granteeId: zhangmingId });
    expect(grantee.statusCode).toBe(403);
    expect(grantee.json().message).toBe('只有案件承办人可以进行案件授权。');
    expect(await activeGrantees(fraudCaseId)).toEqual([wangfangId]);
  });

  it('shows grants to system admins read-only', async () => {
    const list = await call('GET', `/api/cases/${fraudCaseId}/grants`, 'admin');
    expect(list.statusCode).toBe(200);
    expect(list.json().map((grant: { userId: number }) => grant.userId)).toEqual([wangfangId]);
    const change = await call('PUT', `/api/cases/${fraudCaseId}/grants`, 'admin', { granteeIds: [] });
    expect(change.statusCode).toBe(403);
    expect(await activeGrantees(fraudCaseId)).toEqual([wangfangId]);
  });

  it('rejects revoking a grant that does not exist', async () => {
    const response = await call('DELETE', `/api/cases/${fraudCaseId}/grants/${zhangmingId}`, 'lihua');
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('GRANT_NOT_FOUND');
  });
});

describe('sessions still recording', () => {
  it('lists them for the grantee and ends one from an office PC', async () => {
    const sessionId = await insertRecordingSession(theftCaseId, zhangmingId);
    const roomPc = await t.login('zhangming');
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: roomPc } })).statusCode).toBe(200);

    const list = await call('GET', '/api/sessions/active', 'wangfang');
    expect(list.json().map((session: { id: number }) => session.id)).toEqual([sessionId]);
    expect((await call('GET', '/api/sessions/active', 'lihua')).json()).toEqual([]);

    const end = await call('POST', `/api/sessions/${sessionId}/end`, 'wangfang', { uploadToYibanan: false });
    expect(end.statusCode, end.body).toBe(200);
    expect(end.json().loggedOut).toBe(false);
    expect(end.json().uploadToYibanan).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: roomPc } })).statusCode).toBe(401);
    expect(await auditCount('auth.logout.room-pc')).toBe(1);
    const job = await t.app.services.db.kysely.selectFrom('jobs').select('dedupe_key').where('dedupe_key', '=', `archive:${sessionId}`).executeTakeFirst();
    expect(job).toBeDefined();
  });

  it('does not let strangers end a session', async () => {
    const sessionId = await insertRecordingSession(fraudCaseId, lihuaId);
    const response = await call('POST', `/api/sessions/${sessionId}/end`, 'zhangming', { uploadToYibanan: true });
    expect(response.statusCode).toBe(404);
    const row = await t.app.services.db.kysely.selectFrom('recording_sessions').select('state').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect(row.state).toBe('recording');
    await call('POST', `/api/sessions/${sessionId}/end`, 'lihua', { uploadToYibanan: true });
  });
});

describe('recorded cases list', () => {
  it('finds a suspect by pinyin initials', async () => {
    const response = await call('GET', '/api/recorded-cases?suspectName=zmm', 'zhangming');
    expect(response.statusCode).toBe(200);
    expect(response.json().items.map((item: { name: string }) => item.name)).toEqual(['赵某某、钱某某危险驾驶案']);
  });

  it('finds a case by name initials and number', async () => {
    const byInitials = (await call('GET', '/api/recorded-cases?caseName=WMM', 'zhangming')).json();
    expect(byInitials.items.map((item: { name: string }) => item.name)).toEqual(['王某某盗窃案']);
    const byNumber = (await call('GET', `/api/recorded-cases?caseNumber=${encodeURIComponent('000102')}`, 'zhangming')).json();
    expect(byNumber.total).toBe(1);
  });

  it('includes granted and operated cases', async () => {
    const items = (await call('GET', '/api/recorded-cases?sortBy=name&order=asc', 'wangfang')).json().items as { id: number; relation: string }[];
    expect(items.map((item) => item.relation).sort()).toEqual(['grantee', 'grantee', 'grantee']);
    const lihua = (await call('GET', '/api/recorded-cases', 'lihua')).json().items as { id: number; relation: string }[];
    expect(lihua.find((item) => item.id === fraudCaseId)?.relation).toBe('handler');
  });

  it('keeps a case the user only operated', async () => {
    const sessionId = await insertRecordingSession(theftCaseId, lihuaId);
    await call('POST', `/api/sessions/${sessionId}/end`, 'lihua', { uploadToYibanan: false });
    const items = (await call('GET', '/api/recorded-cases', 'lihua')).json().items as { id: number; relation: string; sessionCount: number }[];
    const theft = items.find((item) => item.id === theftCaseId);
    expect(theft?.relation).toBe('operator');
    expect(theft?.sessionCount).toBeGreaterThan(0);
    expect((await call('GET', `/api/cases/${theftCaseId}`, 'lihua')).statusCode).toBe(404);
  });

  it('filters by accepted date and pages', async () => {
    const today = nowIso().slice(0, 10);
    const page = (await call('GET', `/api/recorded-cases?acceptedFrom=${today}&acceptedTo=${today}&page=2&pageSize=1&sortBy=caseNumber&order=asc`, 'zhangming')).json();
    expect(page.total).toBe(2);
    expect(page.items.map((item: { name: string }) => item.name)).toEqual(['赵某某、钱某某危险驾驶案']);
    const none = (await call('GET', '/api/recorded-cases?acceptedTo=2000-01-01', 'zhangming')).json();
    expect(none.total).toBe(0);
  });

  it('rejects a reversed date range', async () => {
    const response = await call('GET', '/api/recorded-cases?acceptedFrom=2026-03-02&acceptedTo=2026-03-01', 'zhangming');
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('受理日期的开始日期不能晚于结束日期。');
    const bad = await call('GET', '/api/recorded-cases?acceptedFrom=yesterday', 'zhangming');
    expect(bad.statusCode).toBe(400);
  });
});

describe('self-built case editing', () => {
  let caseId: number;

  beforeAll(async () => {
    const response = await call('POST', '/api/cases', 'zhangming', {
      name: '自建编辑案件',
      acceptedOn: '2026-03-01',
      suspects: [
        { name: '周某', idTypeCode: '111', idNumber: withCheckDigit('32058319900101123') },
        { name: '吴某', idTypeCode: '414', idNumber: 'E12345678' },
      ],
    });
    caseId = response.json().id;
  });

  it('edits fields, keeps an ID number and adds a suspect', async () => {
    const detail = (await call('GET', `/api/cases/${caseId}`, 'zhangming')).json();
    const response = await call('PUT', `/api/cases/${caseId}`, 'zhangming', {
      name: '自建编辑案件（改）',
      acceptedOn: '2026-03-02',
      stage: '办结',
      suspects: [
        { id: detail.suspects[0].id, name: '周某某', idTypeCode: '111' },
        { id: detail.suspects[1].id, name: '吴某', idTypeCode: '414', idNumber: 'E87654321' },
        { name: '郑某', idTypeCode: '990', idNumber: 'X-0001' },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    const updated = response.json();
    expect(updated.name).toBe('自建编辑案件（改）');
    expect(updated.stage).toBe('办结');
    expect(updated.suspects.map((suspect: { name: string }) => suspect.name)).toEqual(['周某某', '吴某', '郑某']);
    const stored = await t.app.services.db.kysely.selectFrom('suspects').select(['name', 'id_number', 'name_initials']).where('case_id', '=', caseId).orderBy('id').execute();
    expect(stored[0]?.id_number).toBe(withCheckDigit('32058319900101123'));
    expect(stored[0]?.name_initials).toBe('zmm');
    expect(stored[1]?.id_number).toBe('E87654321');
  });

  it('removes a suspect without sessions', async () => {
    const detail = (await call('GET', `/api/cases/${caseId}`, 'zhangming')).json();
    const keptSuspects = detail.suspects.slice(0, 2).map((suspect: { id: number; name: string; idTypeCode: string }) => ({ id: suspect.id, name: suspect.name, idTypeCode: suspect.idTypeCode }));
    const response = await call('PUT', `/api/cases/${caseId}`, 'zhangming', { name: detail.name, acceptedOn: detail.acceptedOn, suspects: keptSuspects });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().suspects).toHaveLength(2);
  });

  it('keeps a suspect with sessions', async () => {
    const detail = (await call('GET', `/api/cases/${caseId}`, 'zhangming')).json();
    const sessionId = await insertRecordingSession(caseId, zhangmingId);
    const firstSuspect = detail.suspects[0];
    const response = await call('PUT', `/api/cases/${caseId}`, 'zhangming', { name: detail.name, acceptedOn: detail.acceptedOn, suspects: [{ id: detail.suspects[1].id, name: '吴某', idTypeCode: '414' }] });
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toBe('该嫌疑人已有同录记录，不能删除。');
    expect((await call('GET', `/api/cases/${caseId}`, 'zhangming')).json().suspects[0].id).toBe(firstSuspect.id);
    await call('POST', `/api/sessions/${sessionId}/end`, 'zhangming', { uploadToYibanan: false });
  });

  it('rejects bad input without changes', async () => {
    const before = (await call('GET', `/api/cases/${caseId}`, 'zhangming')).json();
    const suspects = [{ id: before.suspects[0].id, name: '周某某', idTypeCode: '111' }];
    const cases: [object, number, string][] = [
      [{ name: ' ', acceptedOn: '2026-03-01', suspects }, 400, '请填写案件名称。'],
      [{ name: '改名', acceptedOn: '2099-01-01', suspects }, 400, '受理时间不能晚于今天。'],
      [{ name: '改名', acceptedOn: '2026-03-01', suspects: [{ name: '新人', idTypeCode: '111', idNumber: '320583199001011234' }] }, 400, '校验位不正确'],
      [{ name: '改名', acceptedOn: '2026-03-01', suspects: [{ name: '新人', idTypeCode: '111' }] }, 400, '请填写证件号。'],
      [{ name: '改名', acceptedOn: '2026-03-01', caseNumber: '昆检刑诉受[2026]320583000101号', suspects }, 409, '部门受案号已被其他案件使用'],
      [{ name: '改名', acceptedOn: '2026-03-01', suspects: [{ id: 99999, name: '某', idTypeCode: '990' }] }, 400, '不属于该案件'],
    ];
    for (const [payload, status, message] of cases) {
      const response = await call('PUT', `/api/cases/${caseId}`, 'zhangming', payload);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().message).toContain(message);
    }
    const after = (await call('GET', `/api/cases/${caseId}`, 'zhangming')).json();
    expect(after).toEqual(before);
  });

  it('refuses unified cases and strangers', async () => {
    const unified = await call('PUT', `/api/cases/${theftCaseId}`, 'zhangming', { name: '改名', acceptedOn: '2026-03-01', suspects: [{ name: '某', idTypeCode: '990', idNumber: 'X-1234' }] });
    expect(unified.statusCode).toBe(409);
    expect(unified.json().code).toBe('CASE_NOT_SELF_BUILT');
    const stranger = await call('PUT', `/api/cases/${caseId}`, 'lihua', { name: '改名', acceptedOn: '2026-03-01', suspects: [{ name: '某', idTypeCode: '990', idNumber: 'X-1234' }] });
    expect(stranger.statusCode).toBe(404);
  });

  it('lists the edited case among self-built cases', async () => {
    const list = (await call('GET', '/api/cases?source=self-built', 'zhangming')).json();
    expect(list.items.map((item: { id: number }) => item.id)).toContain(caseId);
  });
});

describe('case transfer', () => {
  it('moves the case and keeps grants', async () => {
    await call('PUT', `/api/cases/${drivingCaseId}/grants`, 'zhangming', { granteeIds: [wangfangId] });
    const response = await call('POST', `/api/cases/${drivingCaseId}/transfer`, 'admin', { handlerId: lihuaId });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().handlerName).toBe('李华');
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'zhangming')).statusCode).toBe(404);
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'lihua')).statusCode).toBe(200);
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'wangfang')).statusCode).toBe(200);
    expect(await auditCount('case.transfer')).toBe(1);
  });

  it('removes grants chosen in the same request', async () => {
    const response = await call('POST', `/api/cases/${drivingCaseId}/transfer`, 'admin', { handlerId: zhangmingId, revokeGranteeIds: [wangfangId] });
    expect(response.statusCode, response.body).toBe(200);
    expect(await activeGrantees(drivingCaseId)).toEqual([]);
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'wangfang')).statusCode).toBe(404);
    expect((await call('GET', `/api/cases/${drivingCaseId}`, 'lihua')).statusCode).toBe(404);
  });

  it('rejects bad input without changes', async () => {
    const cases: [object, number, string][] = [
      [{ handlerId: zhangmingId }, 400, '新承办人与当前承办人相同'],
      [{ handlerId: 99999 }, 400, '不存在'],
      [{ handlerId: disabledId }, 400, '不存在、已停用'],
      [{ handlerId: lihuaId, revokeGranteeIds: [wangfangId] }, 404, '没有本案件的授权'],
    ];
    for (const [payload, status, message] of cases) {
      const response = await call('POST', `/api/cases/${drivingCaseId}/transfer`, 'admin', payload);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().message).toContain(message);
    }
    const row = await t.app.services.db.kysely.selectFrom('cases').select('handler_id').where('id', '=', drivingCaseId).executeTakeFirstOrThrow();
    expect(row.handler_id).toBe(zhangmingId);
    expect((await call('POST', '/api/cases/99999/transfer', 'admin', { handlerId: lihuaId })).statusCode).toBe(404);
  });

  it('is for system admins only', async () => {
    const response = await call('POST', `/api/cases/${drivingCaseId}/transfer`, 'zhangming', { handlerId: lihuaId });
    expect(response.statusCode).toBe(403);
  });
});
