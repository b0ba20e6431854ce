import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startUnifiedSimulator, type UnifiedSimulator } from '../src/launch.js';
import { rawGet, UnifiedClient, type CaseItem } from './helpers.js';

const TOKEN = 'case-api-token';
let unified: UnifiedSimulator;
let client: UnifiedClient;

beforeAll(async () => {
  unified = await startUnifiedSimulator({ token: TOKEN });
  client = new UnifiedClient(unified.baseUrl, TOKEN);
});

afterAll(async () => {
  await unified?.stop();
});

beforeEach(async () => {
  await unified.reset();
  await unified.clear();
});

function isValidResidentId(value: string): boolean {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  if (!/^\d{17}[\dX]$/.test(value)) {
    return false;
  }
  const sum = weights.reduce((total, weight, index) => total + weight * Number(value[index]), 0);
  return '10X98765432'[sum % 11] === value[17];
}

function bmsahList(items: CaseItem[]): string[] {
  return items.map((item) => item.bmsah);
}

describe('pagination', () => {
  it('returns every case once across equal gxsj', async () => {
    // One generate call gives all its cases the same gxsj, so every page boundary falls inside it.
    const created = await unified.generate(23);
    await unified.generate(4);

    const pulled = await client.pullAll(undefined, 5);

    expect(pulled.pages).toBe(6);
    expect(new Set(bmsahList(pulled.items)).size).toBe(27);
    expect(bmsahList(pulled.items)).toEqual(expect.arrayContaining(created));
    expect(new Set(pulled.items.slice(0, 23).map((item) => item.gxsj)).size).toBe(1);
  });

  it('orders items by gxsj and bmsah', async () => {
    await unified.generate(8);
    await unified.generate(8);

    const { items } = await client.pullAll(undefined, 3);

    for (let i = 1; i < items.length; i += 1) {
      const previous = items[i - 1]!;
      const current = items[i]!;
      const timeOrder = Date.parse(current.gxsj) - Date.parse(previous.gxsj);
      expect(timeOrder, current.bmsah).toBeGreaterThanOrEqual(0);
      if (timeOrder === 0) {
        expect(current.bmsah > previous.bmsah, current.bmsah).toBe(true);
      }
    }
  });

  it('ends with a syncToken when the last page is full', async () => {
    await unified.generate(6);

    const first = await client.casePage({ limit: 3 });
    const last = await client.casePage({ cursor: first.nextCursor!, limit: 3 });

    expect(first.nextCursor).not.toBeNull();
    expect(last.items).toHaveLength(3);
    expect(last.nextCursor).toBeNull();
    expect(last.syncToken).not.toBeNull();
  });

  it('defaults limit to 200', async () => {
    await unified.generate(201);

    const page = await client.casePage({});

    expect(page.items).toHaveLength(200);
    expect(page.nextCursor).not.toBeNull();
  });

  it('rejects invalid limit and cursor', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'limit=2.5']) {
      const result = await client.get(`/api/v1/cases?dwbm=320583&${query}`);
      expect(result.status, query).toBe(400);
      expect(JSON.parse(result.body.toString()).code, query).toBe('INVALID_LIMIT');
    }
    const badCursor = await client.get('/api/v1/cases?dwbm=320583&cursor=not-a-cursor!');
    expect(badCursor.status).toBe(400);
    expect(JSON.parse(badCursor.body.toString()).code).toBe('INVALID_CURSOR');
    const badSince = await client.get('/api/v1/cases?dwbm=320583&since=yesterday');
    expect(badSince.status).toBe(400);
    expect(JSON.parse(badSince.body.toString()).code).toBe('INVALID_SINCE');
  });

  it('requires the configured dwbm', async () => {
    const missing = await client.get('/api/v1/cases');
    const other = await client.get('/api/v1/cases?dwbm=320584');

    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body.toString()).code).toBe('MISSING_DWBM');
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body.toString()).code).toBe('FORBIDDEN_DWBM');
  });
});

describe('incremental pull', () => {
  it('returns only cases after the syncToken', async () => {
    await unified.generate(5);
    const first = await client.pullAll(undefined, 2);
    const added = await unified.generate(3);

    const second = await client.pullAll(first.syncToken, 2);

    expect(bmsahList(second.items).sort()).toEqual([...added].sort());
  });

  it('returns nothing new with the same syncToken', async () => {
    await unified.generate(4);
    const first = await client.pullAll(undefined, 10);

    const second = await client.pullAll(first.syncToken, 10);

    expect(second.items).toEqual([]);
    expect(second.syncToken).toBe(first.syncToken);
  });

  it('shows changed cases in the next pull', async () => {
    await unified.generate(10);
    const first = await client.pullAll(undefined, 4);
    const before = new Map(first.items.map((item) => [item.bmsah, item]));

    const { bmsah: changed, changes } = await unified.change(3);
    const second = await client.pullAll(first.syncToken, 4);

    expect(bmsahList(second.items).sort()).toEqual([...changed].sort());
    for (const item of second.items) {
      const old = before.get(item.bmsah)!;
      expect(Date.parse(item.gxsj)).toBeGreaterThan(Date.parse(old.gxsj));
      expect(item.ajzt).not.toBe(old.ajzt);
    }
    expect(changes.every((change) => change.fields.includes('ajzt'))).toBe(true);
  });

  it('shows deleted cases with sfsc Y', async () => {
    await unified.generate(6);
    const first = await client.pullAll(undefined, 4);

    const deleted = await unified.deleteCases(2);
    const second = await client.pullAll(first.syncToken, 4);

    expect(bmsahList(second.items).sort()).toEqual([...deleted].sort());
    expect(second.items.map((item) => item.sfsc)).toEqual(['Y', 'Y']);
  });

  it('changes handlers, suspects and files over many changes', async () => {
    await unified.generate(40, { suspectsPerCase: 2, seed: 7 });

    const { changes } = await unified.change(40, 11);

    const fields = new Set(changes.flatMap((change) => change.fields));
    expect(fields).toContain('cbrgh');
    expect(fields).toContain('xyr');
    expect(fields).toContain('dossier');
  });

  it('accepts an ISO time as since', async () => {
    await unified.upsert([
      { bmsah: '昆检刑诉受[2026]320583900001号', gxsj: '2026-03-01T09:30:00+08:00' },
      { bmsah: '昆检刑诉受[2026]320583900002号', gxsj: '2026-03-01T09:30:00+08:00' },
      { bmsah: '昆检刑诉受[2026]320583900003号', gxsj: '2026-03-01T09:30:01+08:00' },
    ]);

    const page = await client.casePage({ since: '2026-03-01T09:30:00+08:00' });

    expect(bmsahList(page.items)).toEqual(['昆检刑诉受[2026]320583900003号']);
  });

  it('treats the token as an exclusive position', async () => {
    const gxsj = '2026-03-01T09:30:00+08:00';
    await unified.upsert([
      { bmsah: '昆检刑诉受[2026]320583900001号', gxsj },
      { bmsah: '昆检刑诉受[2026]320583900003号', gxsj },
    ]);
    const first = await client.pullAll(undefined, 10);
    await unified.upsert([{ bmsah: '昆检刑诉受[2026]320583900002号', gxsj }]);

    const second = await client.pullAll(first.syncToken, 10);

    // The token is the position (gxsj, bmsah) of the last pulled case. A case written later with the
    // same gxsj but a smaller bmsah lies behind it, which is why 2.0 must give every change a later gxsj.
    expect(bmsahList(second.items)).toEqual([]);
  });
});

describe('authentication', () => {
  it('rejects a missing or wrong token', async () => {
    const missing = await rawGet(`${unified.baseUrl}/api/v1/handlers?dwbm=320583`);
    const wrong = await rawGet(`${unified.baseUrl}/api/v1/handlers?dwbm=320583`, { Authorization: 'Bearer wrong' });
    const basic = await rawGet(`${unified.baseUrl}/api/v1/handlers?dwbm=320583`, { Authorization: `Basic ${TOKEN}` });

    for (const result of [missing, wrong, basic]) {
      expect(result.status).toBe(401);
      expect(result.headers['content-type']).toContain('application/json');
      expect(JSON.parse(result.body.toString()).code).toBe('UNAUTHORIZED');
    }
  });

  it('protects every API route', async () => {
    await unified.generate(1);
    const [item] = await unified.cases();
    const routes = ['/api/v1/cases?dwbm=320583', '/api/v1/handlers?dwbm=320583', `/api/v1/dossier?bmsah=${encodeURIComponent(item!.bmsah)}`, '/api/v1/dossier/files/F0000001/content'];

    for (const route of routes) {
      const result = await rawGet(`${unified.baseUrl}${route}`);
      expect(result.status, route).toBe(401);
    }
  });
});

describe('data shape', () => {
  it('generates realistic case numbers and suspects', async () => {
    await unified.generate(60, { suspectsPerCase: 2, seed: 3 });

    const { items } = await client.pullAll(undefined, 500);

    for (const item of items) {
      const normalized = item.bmsah.replace(/[０-９]/g, (digit) => String(digit.charCodeAt(0) - 0xff10)).replace(/[〔［]/g, '[').replace(/[〕］]/g, ']');
      const match = /^昆检(.+)受\[(\d{4})\](\d{6})(\d{6})号$/.exec(normalized);
      expect(match, item.bmsah).not.toBeNull();
      expect(match![3]).toBe('320583');
      expect(item.tysah).toMatch(/^\d{17}$/);
      expect(item.tysah).toBe(`320583${match![2]}0${match![4]}`);
      expect(item.gxsj).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      expect(item.slrq).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(item.xyr).toHaveLength(2);
      for (const suspect of item.xyr) {
        expect(suspect['zjlx_dm'] ?? suspect['zjlx_mc']).toBeDefined();
        if (suspect['zjlx_dm'] === '111' || suspect['zjlx_mc'] === '居民身份证') {
          expect(isValidResidentId(suspect['zjhm']!), suspect['zjhm']).toBe(true);
          expect(suspect['zjhm']!.slice(6, 14)).toBe(suspect['csrq']!.replaceAll('-', ''));
        }
      }
    }
    const allSuspects = items.flatMap((item) => item.xyr);
    const codes = new Set(allSuspects.map((suspect) => suspect['zjlx_dm']).filter(Boolean));
    expect(codes).toContain('111');
    expect(codes.size).toBeGreaterThan(2);
    expect(items.some((item) => /[〔［]/.test(item.bmsah))).toBe(true);
    expect(new Set(items.map((item) => item.ajlb_bm))).toContain('2001');
  });

  it('gives juvenile cases suspects under 18', async () => {
    await unified.generate(80, { seed: 12 });

    const { items } = await client.pullAll(undefined, 500);

    const juvenileCases = items.filter((item) => String(item.ajlb_mc).startsWith('未成年人'));
    expect(juvenileCases.length).toBeGreaterThan(0);
    for (const item of juvenileCases) {
      const ageYears = (Date.parse(String(item.slrq)) - Date.parse(item.xyr[0]!['csrq']!)) / (365.25 * 86_400_000);
      expect(ageYears, item.bmsah).toBeLessThan(18.5);
      expect(ageYears, item.bmsah).toBeGreaterThan(13);
    }
  });

  it('lists handlers with the demo logins', async () => {
    const result = await client.get('/api/v1/handlers?dwbm=320583');

    const { items } = JSON.parse(result.body.toString()) as { items: Array<Record<string, string>> };
    expect(items).toContainEqual({ gh: '0371', xm: '张明', dlzh: 'zhangming', bm_bm: '0003', bm_mc: '第一检察部' });
    expect(items).toContainEqual({ gh: '0372', xm: '李华', dlzh: 'lihua', bm_bm: '0004', bm_mc: '第二检察部' });
    expect(items.length).toBeGreaterThan(3);
  });

  it('replaces handlers through the control API', async () => {
    const defaults = JSON.parse((await client.get('/api/v1/handlers?dwbm=320583')).body.toString()).items;
    await unified.setHandlers([{ gh: '0999', xm: '测试', dlzh: 'ceshi', bm_bm: '0003', bm_mc: '第一检察部' }]);

    const result = await client.get('/api/v1/handlers?dwbm=320583');
    await unified.setHandlers(defaults);

    expect(JSON.parse(result.body.toString()).items).toEqual([{ gh: '0999', xm: '测试', dlzh: 'ceshi', bm_bm: '0003', bm_mc: '第一检察部' }]);
  });
});
