import type { Kysely } from 'kysely';
import { GENESIS_HASH, hashAuditRow, type ChainedFields } from '../../modules/audit/audit-chain.js';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Adds the hash chain to audit_events: each row stores its chain position (seq), the acting user's
 * roles, the previous row's hash and its own hash. audit_chain_head is a single row (id 1) that stores
 * the row count and the last hash, so deleting the newest rows is detected, and that appenders lock.
 * Rows written before this migration are chained here in id order.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('seq', 'integer').execute();
  await db.schema.alterTable('audit_events').addColumn('role', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('prev_hash', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('hash', 'text').execute();
  await db.schema.createIndex('audit_events_seq_idx').on('audit_events').column('seq').unique().execute();
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();

  await db.schema
    .createTable('audit_chain_head')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('count', 'integer', (col) => col.notNull())
    .addColumn('last_hash', 'text', (col) => col.notNull())
    .execute();

  const rows = (await db.selectFrom('audit_events').selectAll().orderBy('id').execute()) as (Omit<ChainedFields, 'seq' | 'role' | 'prev_hash'> & { id: number })[];
  let previousHash = GENESIS_HASH;
  let seq = 0;
  for (const row of rows) {
    seq += 1;
    const hash = hashAuditRow({ ...row, seq, role: null, prev_hash: previousHash });
    await db.updateTable('audit_events').set({ seq, role: null, prev_hash: previousHash, hash }).where('id', '=', row.id).execute();
    previousHash = hash;
  }
  await db.insertInto('audit_chain_head').values({ id: 1, count: seq, last_hash: previousHash }).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('audit_chain_head').execute();
  await db.schema.dropIndex('audit_events_at_idx').execute();
  await db.schema.dropIndex('audit_events_seq_idx').execute();
  for (const column of ['hash', 'prev_hash', 'role', 'seq']) {
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
  }
}
