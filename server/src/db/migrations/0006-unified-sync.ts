import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

function withId<T extends string>(db: AnyDb, table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
  if (isPostgres(db)) return table.addColumn('id', 'serial', (col) => col.primaryKey());
  return table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
}

/**
 * Username of the placeholder account that holds 大统一2.0 cases whose handler matches no Tonglu user (待分配).
 * The `#` is outside the login-name pattern of 用户管理, so no real account can take this name.
 */
export const UNASSIGNED_USERNAME = '#unified-unassigned';

/** Adds 工号, the 大统一2.0 fields of cases and suspects, superseded dossier files and the sync bookkeeping. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('users').addColumn('employee_no', 'text').execute();
  await db.schema
    .createIndex('users_employee_no_unique')
    .on('users')
    .column('employee_no')
    .unique()
    .where(sql.ref('employee_no'), 'is not', null)
    .execute();

  const caseColumns: [string, string][] = [
    ['unified_updated_at', 'text'],
    ['deleted_in_unified_at', 'text'],
    ['unified_handler_code', 'text'],
    ['unit_code', 'text'],
    ['category_code', 'text'],
    ['department_code', 'text'],
    ['department_name', 'text'],
  ];
  for (const [name, type] of caseColumns) {
    await db.schema.alterTable('cases').addColumn(name, sql.raw(type)).execute();
  }
  // 1 while the case's 电子卷宗 tree still has to be read after a sync changed the case.
  await db.schema.alterTable('cases').addColumn('dossier_pending', 'integer', (col) => col.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('cases_dossier_pending_idx').on('cases').column('dossier_pending').execute();

  await db.schema.alterTable('suspects').addColumn('external_id', 'text').execute();
  await db.schema.alterTable('suspects').addColumn('source', 'text', (col) => col.notNull().defaultTo('local')).execute();
  await db.schema.alterTable('suspects').addColumn('removed_in_unified_at', 'text').execute();
  await db.schema.alterTable('suspects').addColumn('gender', 'text').execute();
  await db.schema.alterTable('suspects').addColumn('birth_date', 'text').execute();
  await db.schema
    .createIndex('suspects_external_unique')
    .on('suspects')
    .columns(['case_id', 'external_id'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();
  // Suspects that came with a 大统一2.0 case before this migration are that system's.
  await sql`update suspects set source = 'unified' where case_id in (select id from cases where source = 'unified')`.execute(db);

  await db.schema.alterTable('dossier_files').addColumn('external_id', 'text').execute();
  await db.schema.alterTable('dossier_files').addColumn('superseded_at', 'text').execute();
  // 更新时间 (gxsj) of the file version in 大统一2.0, so a late download of an older version cannot replace a newer one.
  await db.schema.alterTable('dossier_files').addColumn('version_at', 'text').execute();
  await db.schema
    .createIndex('dossier_files_external_unique')
    .on('dossier_files')
    .columns(['case_id', 'external_id', 'sha256'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();

  await withId(db, db.schema.createTable('unified_sync_runs'))
    // schedule, manual or file.
    .addColumn('trigger', 'text', (col) => col.notNull())
    .addColumn('triggered_by', 'integer', (col) => col.references('users.id'))
    .addColumn('file_name', 'text')
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text')
    // running, succeeded or failed.
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('fetched', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('rejected', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('dossier_files', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('unified_sync_runs_started_idx').on('unified_sync_runs').column('started_at').execute();

  // Single row (id 1): where the incremental pull continues.
  await db.schema
    .createTable('unified_sync_state')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('since_token', 'text')
    .addColumn('cursor', 'text')
    .addColumn('run_id', 'integer')
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.insertInto('unified_sync_state').values({ id: 1, since_token: null, cursor: null, run_id: null, updated_at: new Date().toISOString() }).execute();

  await db.schema
    .createTable('unified_handlers')
    .addColumn('code', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('login_name', 'text')
    .addColumn('department_name', 'text')
    .addColumn('user_id', 'integer', (col) => col.references('users.id'))
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await withId(db, db.schema.createTable('unified_rejected_rows'))
    .addColumn('run_id', 'integer', (col) => col.notNull().references('unified_sync_runs.id'))
    .addColumn('sheet', 'text')
    .addColumn('row_number', 'integer')
    .addColumn('reference', 'text', (col) => col.notNull())
    .addColumn('field', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('unified_rejected_rows_run_idx').on('unified_rejected_rows').column('run_id').execute();

  await db
    .insertInto('users')
    .values({
      username: UNASSIGNED_USERNAME,
      display_name: '待分配',
      department_id: null,
      roles: '',
      // Not a scrypt hash, so no password ever matches it.
      password_hash: '!',
      must_change_password: 0,
      status: 'disabled',
      created_at: new Date().toISOString(),
    })
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.deleteFrom('users').where('username', '=', UNASSIGNED_USERNAME).execute();
  for (const table of ['unified_rejected_rows', 'unified_handlers', 'unified_sync_state', 'unified_sync_runs']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.dropIndex('dossier_files_external_unique').execute();
  for (const column of ['version_at', 'superseded_at', 'external_id']) await db.schema.alterTable('dossier_files').dropColumn(column).execute();
  await db.schema.dropIndex('suspects_external_unique').execute();
  for (const column of ['birth_date', 'gender', 'removed_in_unified_at', 'source', 'external_id']) {
    await db.schema.alterTable('suspects').dropColumn(column).execute();
  }
  await db.schema.dropIndex('cases_dossier_pending_idx').execute();
  for (const column of ['dossier_pending', 'department_name', 'department_code', 'category_code', 'unit_code', 'unified_handler_code', 'deleted_in_unified_at', 'unified_updated_at']) {
    await db.schema.alterTable('cases').dropColumn(column).execute();
  }
  await db.schema.dropIndex('users_employee_no_unique').execute();
  await db.schema.alterTable('users').dropColumn('employee_no').execute();
}
