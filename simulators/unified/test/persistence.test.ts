import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUnifiedSimulator, type UnifiedSimulator } from '../src/launch.js';
import { UnifiedClient } from './helpers.js';

const TOKEN = 'persist-token';
let dataDir: string;
const running: UnifiedSimulator[] = [];

async function start(seedCases = 0): Promise<{ unified: UnifiedSimulator; client: UnifiedClient }> {
  const unified = await startUnifiedSimulator({ token: TOKEN, dataDir, seedCases, suspectsPerCase: 2 });
  running.push(unified);
  return { unified, client: new UnifiedClient(unified.baseUrl, TOKEN) };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'unified-persist-test-'));
});

afterAll(async () => {
  for (const unified of running) {
    await unified.stop();
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('keeps cases, changes and files across SIGKILL', async () => {
    const first = await start(7);
    const before = await first.client.pullAll(undefined, 3);
    const deleted = await first.unified.deleteCases(1);
    const { changes } = await first.unified.change(3);
    const casesBefore = await first.unified.cases();
    const dossierBefore = (await first.client.get(`/api/v1/dossier?bmsah=${encodeURIComponent(casesBefore[0]!.bmsah)}`)).body.toString();
    await first.unified.kill();

    const second = await start(7);
    const casesAfter = await second.unified.cases();
    const incremental = await second.client.pullAll(before.syncToken, 3);

    expect(casesAfter).toEqual(casesBefore);
    expect(casesAfter).toHaveLength(7);
    expect(incremental.items.map((item) => item.bmsah).sort()).toEqual([...deleted, ...changes.map((change) => change.bmsah)].sort());
    const dossierAfter = (await second.client.get(`/api/v1/dossier?bmsah=${encodeURIComponent(casesAfter[0]!.bmsah)}`)).body.toString();
    expect(dossierAfter).toBe(dossierBefore);
    const { files } = JSON.parse(dossierAfter) as { files: Array<{ wjbh: string; wjdx: number }> };
    const content = await second.client.get(`/api/v1/dossier/files/${files[0]!.wjbh}/content`);
    expect(content.body.length).toBe(files[0]!.wjdx);
    await second.unified.stop();
  });

  it('continues numbering after a restart', async () => {
    const { unified } = await start();
    const existing = (await unified.cases()).map((item) => item.tysah);

    await unified.generate(2);
    const tysahList = (await unified.cases()).map((item) => item.tysah);
    await unified.stop();

    expect(new Set(tysahList).size).toBe(existing.length + 2);
  });

  it('leaves no temporary files behind', async () => {
    const names = await readdir(dataDir);
    const fileNames = await readdir(path.join(dataDir, 'files'));

    expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(fileNames.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(await readFile(path.join(dataDir, 'dataset.json'), 'utf8')).format).toBe(1);
    expect(fileNames.filter((name) => /^pack-\d{6}\.bin$/.test(name)).length).toBeGreaterThan(0);
  });

  it('refuses to start on damaged file bytes', async () => {
    const packName = (await readdir(path.join(dataDir, 'files'))).find((name) => name.endsWith('.bin'))!;
    const packPath = path.join(dataDir, 'files', packName);
    const pack = await readFile(packPath);
    pack[0] = pack[0]! ^ 0xff;
    await writeFile(packPath, pack);

    await expect(startUnifiedSimulator({ token: TOKEN, dataDir })).rejects.toThrow(/does not hold the bytes of/);
  });
});
