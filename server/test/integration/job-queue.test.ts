import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t?.close();
});

it('runs due evidence jobs before a backlog of dossier downloads', async () => {
  const { jobs, db } = t.app.services;
  const past = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const dossier = { caseId: 1, fileId: 'F1', sha256: 'a'.repeat(64), name: '起诉意见书.pdf', folderPath: '诉讼卷', size: 1, versionAt: past(0) };
  await jobs.enqueue('dossier-fetch', 'test:dossier:1', dossier, { runAfter: past(30), maxAttempts: 3 });
  await jobs.enqueue('dossier-fetch', 'test:dossier:2', { ...dossier, fileId: 'F2' }, { runAfter: past(20), maxAttempts: 3 });
  await jobs.enqueue('archive', 'test:archive:1', { sessionId: 999 }, { runAfter: past(1), maxAttempts: 3 });
  // Not yet due: never claimed ahead of time.
  await jobs.enqueue('delivery', 'test:delivery:1', { deliveryId: 999 }, { runAfter: new Date(Date.now() + 3_600_000).toISOString(), maxAttempts: 3 });

  const order: string[] = [];
  for (;;) {
    const job = await jobs.claimNext('test-worker', 60);
    if (!job) break;
    order.push(job.dedupe_key);
  }
  expect(order).toEqual(['test:archive:1', 'test:dossier:1', 'test:dossier:2']);
  await db.kysely.deleteFrom('jobs').where('dedupe_key', 'like', 'test:%').execute();
});
