import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { pinyinInitials } from '../../lib/pinyin.js';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Adds case grants, pinyin initials for search, and the reason of a backfilled session. */
export async function up(db: AnyDb): Promise<void> {
  const table = db.schema.createTable('case_grants');
  const withId = isPostgres(db)
    ? table.addColumn('id', 'serial', (col) => col.primaryKey())
    : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  await withId
    .addColumn('case_id', 'integer', (col) => col.notNull().references('cases.id'))
    .addColumn('grantee_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('granted_by', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('granted_at', 'text', (col) => col.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'integer', (col) => col.references('users.id'))
    .execute();
  await db.schema.createIndex('case_grants_grantee_idx').on('case_grants').columns(['grantee_id', 'case_id']).execute();
  // One active grant per case and person; revoked rows stay as history.
  await db.schema
    .createIndex('case_grants_one_active')
    .on('case_grants')
    .columns(['case_id', 'grantee_id'])
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();

  await db.schema.alterTable('cases').addColumn('name_initials', 'text', (col) => col.notNull().defaultTo('')).execute();
  await db.schema.alterTable('suspects').addColumn('name_initials', 'text', (col) => col.notNull().defaultTo('')).execute();
  await db.schema.alterTable('recording_sessions').addColumn('backfill_reason', 'text').execute();

  const cases = await db.selectFrom('cases').select(['id', 'name']).execute();
  for (const row of cases as { id: number; name: string }[]) {
    await db.updateTable('cases').set({ name_initials: pinyinInitials(row.name) }).where('id', '=', row.id).execute();
  }
  const suspects = await db.selectFrom('suspects').select(['id', 'name']).execute();
  for (const row of suspects as { id: number; name: string }[]) {
    await db.updateTable('suspects').set({ name_initials: pinyinInitials(row.name) }).where('id', '=', row.id).execute();
  }
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('recording_sessions').dropColumn('backfill_reason').execute();
  await db.schema.alterTable('suspects').dropColumn('name_initials').execute();
  await db.schema.alterTable('cases').dropColumn('name_initials').execute();
  await db.schema.dropTable('case_grants').execute();
}
