import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import * as initial from '../../src/db/migrations/0001-initial.js';
import * as caseGrants from '../../src/db/migrations/0004-case-grants.js';
import { pinyinInitials } from '../../src/lib/pinyin.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'tonglu-migration-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

it('computes pinyin initials of names', () => {
  expect(pinyinInitials('张三')).toBe('zs');
  expect(pinyinInitials('王某某盗窃案')).toBe('wmmdqa');
  expect(pinyinInitials('Li Lei 2号')).toBe('lilei2h');
});

it('case grants migration fills initials', async () => {
  const db = openDatabase(`sqlite:${dataDir}/migration.sqlite`);
  const now = new Date().toISOString();
  await initial.up(db.kysely);
  const user = await db.kysely.insertInto('users').values({ username: 'u', display_name: '用户', department_id: null, roles: 'officer', password_hash: 'x', must_change_password: 0, status: 'active', created_at: now }).returning('id').executeTakeFirstOrThrow();
  const inserted = await db.kysely
    .insertInto('cases')
    .values({ name: '张三盗窃案', case_number: 'N1', unified_number: null, category: null, stage: '在办', accepted_on: '2026-01-01', department_id: null, handler_id: user.id, source: 'unified', created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.kysely.insertInto('suspects').values({ case_id: inserted.id, name: '张三', id_type_code: '990', id_type_name: '其他', id_number: 'X1234', created_at: now }).execute();

  await caseGrants.up(db.kysely);

  const caseRow = await db.kysely.selectFrom('cases').select('name_initials').executeTakeFirstOrThrow();
  expect(caseRow.name_initials).toBe('zsdqa');
  const suspect = await db.kysely.selectFrom('suspects').select('name_initials').executeTakeFirstOrThrow();
  expect(suspect.name_initials).toBe('zs');
  await db.kysely.destroy();
});
