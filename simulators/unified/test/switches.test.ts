import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startUnifiedSimulator, type UnifiedSimulator } from '../src/launch.js';
import { rawGet, UnifiedClient, type CasePageBody } from './helpers.js';

const TOKEN = 'switch-token';
const CASES_PATH = '/api/v1/cases?dwbm=320583&limit=10';
let unified: UnifiedSimulator;
let client: UnifiedClient;

beforeAll(async () => {
  unified = await startUnifiedSimulator({ token: TOKEN, seedCases: 25, suspectsPerCase: 2 });
  client = new UnifiedClient(unified.baseUrl, TOKEN);
});

afterAll(async () => {
  await unified?.stop();
});

beforeEach(async () => {
  await unified.reset();
});

async function readPage(): Promise<CasePageBody> {
  const result = await client.get(CASES_PATH);
  expect(result.status).toBe(200);
  return JSON.parse(result.body.toString('utf8')) as CasePageBody;
}

describe('down', () => {
  it('refuses connections while on', async () => {
    await unified.setState({ down: true });

    const result = await client.get(CASES_PATH);

    expect(result.status).toBe(0);
    expect(result.error?.code).toBe('ECONNREFUSED');
  });

  it('serves on the same port after off', async () => {
    await unified.setState({ down: true });
    await unified.setState({ down: false });

    const result = await client.get(CASES_PATH);

    expect(result.status).toBe(200);
  });

  it('keeps the control API reachable', async () => {
    await unified.setState({ down: true });

    const state = await unified.getState();

    expect(state.down).toBe(true);
  });
});

describe('errorStatus', () => {
  it('returns the status for every request', async () => {
    await unified.setState({ errorStatus: 503 });

    const results = [await client.get(CASES_PATH), await client.get('/api/v1/handlers?dwbm=320583')];

    for (const result of results) {
      expect(result.status).toBe(503);
      expect(result.headers['retry-after']).toBe('1');
      expect(JSON.parse(result.body.toString()).code).toBe('SIMULATED_ERROR');
    }
  });

  it('fails every Nth request with errorEvery', async () => {
    await unified.setState({ errorStatus: 500, errorEvery: 3 });

    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await client.get(CASES_PATH)).status);
    }

    expect(statuses).toEqual([200, 200, 500, 200, 200, 500]);
  });

  it('counts statuses in stats', async () => {
    await unified.setState({ errorStatus: 429, errorEvery: 2 });
    await client.get(CASES_PATH);
    await client.get(CASES_PATH);

    const stats = await unified.stats();

    expect(stats.routes['GET /api/v1/cases']).toEqual({ count: 2, statuses: { '200': 1, '429': 1 } });
  });
});

describe('dropAfterBytes', () => {
  it('closes the socket mid-body', async () => {
    await unified.setState({ dropAfterBytes: 100 });

    const result = await client.get(CASES_PATH);

    expect(result.status).toBe(200);
    expect(result.isComplete).toBe(false);
    expect(result.body.length).toBe(100);
    expect(Number(result.headers['content-length'])).toBeGreaterThan(100);
  });

  it('sends only headers with 0', async () => {
    await unified.setState({ dropAfterBytes: 0 });

    const result = await client.get(CASES_PATH);

    expect(result.status).toBe(200);
    expect(result.isComplete).toBe(false);
    expect(result.body.length).toBe(0);
  });

  it('cuts file downloads too', async () => {
    const [first] = await unified.cases();
    const dossier = JSON.parse((await client.get(`/api/v1/dossier?bmsah=${encodeURIComponent(first!.bmsah)}`)).body.toString());
    await unified.setState({ dropAfterBytes: 10 });

    const result = await client.get(`/api/v1/dossier/files/${dossier.files[0].wjbh}/content`);

    expect(result.isComplete).toBe(false);
    expect(result.body.length).toBe(10);
  });
});

describe('slowMs', () => {
  it('delays responses', async () => {
    await unified.setState({ slowMs: 400 });

    const result = await client.get(CASES_PATH);

    expect(result.status).toBe(200);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(380);
  });
});

describe('malformed', () => {
  it('removes required fields', async () => {
    await unified.setState({ malformed: ['missing-fields'] });

    const page = await readPage();

    const [item] = page.items;
    expect(item).not.toHaveProperty('ajmc');
    expect(item).not.toHaveProperty('slrq');
    expect(item!.bmsah).toBeTruthy();
    for (const suspect of item!.xyr) {
      expect(suspect).not.toHaveProperty('zjlx_dm');
      expect(suspect).not.toHaveProperty('zjlx_mc');
    }
    expect(page.items[1]).toHaveProperty('ajmc');
  });

  it('puts invalid dates', async () => {
    await unified.setState({ malformed: ['bad-dates'] });

    const [item] = (await readPage()).items;

    expect(item!['slrq']).toBe('2026-02-30');
    expect(item!.xyr[0]!['csrq']).toBe('1990/13/45');
  });

  it('breaks resident ID numbers', async () => {
    await unified.setState({ malformed: ['bad-id-numbers'] });

    const [item] = (await readPage()).items;

    const [first, second] = item!.xyr;
    expect(first!['zjhm']).toMatch(/^\d{17}[\dX]$/);
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = weights.reduce((total, weight, index) => total + weight * Number(first!['zjhm']![index]), 0);
    expect('10X98765432'[sum % 11]).not.toBe(first!['zjhm']![17]);
    expect(second!['zjhm']).toHaveLength(17);
  });

  it('sends a 10 MiB string', async () => {
    await unified.setState({ malformed: ['huge-strings'] });

    const [item] = (await readPage()).items;

    expect(item!.ajmc.length).toBe(10 * 1024 * 1024);
  });

  it('truncates the JSON body', async () => {
    await unified.setState({ malformed: ['bad-json'] });

    const result = await client.get(CASES_PATH);

    expect(result.status).toBe(200);
    expect(result.isComplete).toBe(true);
    expect(Number(result.headers['content-length'])).toBe(result.body.length);
    expect(() => JSON.parse(result.body.toString('utf8'))).toThrow(SyntaxError);
  });

  it('stops after malformedPages pages', async () => {
    await unified.setState({ malformed: ['bad-dates'], malformedPages: 2 });

    const pages = [await readPage(), await readPage(), await readPage()];

    expect(pages.map((page) => page.items[0]!['slrq'] === '2026-02-30')).toEqual([true, true, false]);
    expect((await unified.getState()).malformed).toEqual([]);
  });

  it('rejects unknown kinds', async () => {
    await expect(unified.setState({ malformed: ['bad-xml' as never] })).rejects.toThrow(/malformed\[0\].*unknown/);
  });
});

describe('reset', () => {
  it('restores defaults and zeroes stats', async () => {
    await unified.setState({ errorStatus: 503, slowMs: 10, dropAfterBytes: 5, malformed: ['bad-json'] });
    await client.get(CASES_PATH);

    const state = await unified.reset();
    const stats = await unified.stats();

    expect(state).toEqual({ down: false, slowMs: null, errorStatus: null, errorEvery: 1, dropAfterBytes: null, malformed: [], malformedPages: null });
    expect(stats.total).toBe(0);
    expect((await client.get(CASES_PATH)).status).toBe(200);
  });

  it('rejects invalid patches with a message', async () => {
    await expect(unified.setState({ errorStatus: 200 })).rejects.toThrow(/errorStatus must be null or an integer from 400 to 599/);
    await expect(unified.setState({ slowness: 1 } as never)).rejects.toThrow(/Unknown state field .*slowness/);
  });
});

describe('control API', () => {
  it('rejects invalid counts', async () => {
    const response = await fetch(`${unified.controlUrl}/__sim/cases/generate`, { method: 'POST', body: JSON.stringify({ count: 0 }) });

    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/count must be an integer from 1/);
  });

  it('returns 404 for unknown routes', async () => {
    const response = await rawGet(`${unified.controlUrl}/__sim/nothing`);

    expect(response.status).toBe(404);
  });
});
