import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Adds an auto-increment integer primary key in the dialect's own form. */
function withId<T extends string>(db: AnyDb, table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
  if (isPostgres(db)) return table.addColumn('id', 'serial', (col) => col.primaryKey());
  return table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
}

export async function up(db: AnyDb): Promise<void> {
  const bigint = isPostgres(db) ? 'bigint' : 'integer';

  await withId(db, db.schema.createTable('departments'))
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();

  await withId(db, db.schema.createTable('users'))
    .addColumn('username', 'text', (col) => col.notNull().unique())
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('department_id', 'integer', (col) => col.references('departments.id'))
    .addColumn('roles', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('must_change_password', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('active'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('login_sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('client_ip', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_seen_at', 'text', (col) => col.notNull())
    .execute();

  await withId(db, db.schema.createTable('cases'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('case_number', 'text', (col) => col.notNull().unique())
    .addColumn('unified_number', 'text')
    .addColumn('category', 'text')
    .addColumn('stage', 'text', (col) => col.notNull())
    .addColumn('accepted_on', 'text', (col) => col.notNull())
    .addColumn('department_id', 'integer', (col) => col.references('departments.id'))
    .addColumn('handler_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('cases_handler_idx').on('cases').column('handler_id').execute();

  await withId(db, db.schema.createTable('suspects'))
    .addColumn('case_id', 'integer', (col) => col.notNull().references('cases.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('id_type_code', 'text', (col) => col.notNull())
    .addColumn('id_type_name', 'text', (col) => col.notNull())
    .addColumn('id_number', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('suspects_case_idx').on('suspects').column('case_id').execute();

  await withId(db, db.schema.createTable('rooms'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('sort_order', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('area', 'text')
    .addColumn('vendor', 'text', (col) => col.notNull())
    .addColumn('nvr_host', 'text', (col) => col.notNull())
    .addColumn('nvr_http_port', 'integer', (col) => col.notNull())
    .addColumn('nvr_rtsp_port', 'integer', (col) => col.notNull())
    .addColumn('nvr_username', 'text', (col) => col.notNull())
    .addColumn('nvr_password_enc', 'text', (col) => col.notNull())
    .addColumn('device_type', 'text', (col) => col.notNull())
    .addColumn('channel', 'integer', (col) => col.notNull())
    .addColumn('pc_ip', 'text', (col) => col.notNull())
    .addColumn('utc_offset_minutes', 'integer', (col) => col.notNull().defaultTo(480))
    .addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await withId(db, db.schema.createTable('recording_sessions'))
    .addColumn('case_id', 'integer', (col) => col.notNull().references('cases.id'))
    .addColumn('suspect_id', 'integer', (col) => col.notNull().references('suspects.id'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('room_id', 'integer', (col) => col.references('rooms.id'))
    .addColumn('operator_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('started_at', 'text', (col) => col.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('clock_offset_ms', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('upload_to_yibanan', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('gaps', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('archive_attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('recording_sessions_case_idx').on('recording_sessions').column('case_id').execute();
  // A room has at most one active session; the database enforces it even when two requests race.
  await db.schema
    .createIndex('recording_sessions_one_active_per_room')
    .on('recording_sessions')
    .column('room_id')
    .unique()
    .where(sql.ref('state'), '=', 'recording')
    .execute();

  await withId(db, db.schema.createTable('media_files'))
    .addColumn('session_id', 'integer', (col) => col.notNull().references('recording_sessions.id'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('stored_path', 'text', (col) => col.notNull().unique())
    .addColumn('size', bigint, (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('sm3', 'text', (col) => col.notNull())
    .addColumn('duration_ms', 'integer')
    .addColumn('codec', 'text')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('created_by', 'integer', (col) => col.references('users.id'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('media_files_session_idx').on('media_files').column('session_id').execute();

  await withId(db, db.schema.createTable('jobs'))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('dedupe_key', 'text', (col) => col.notNull().unique())
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('run_after', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (col) => col.notNull())
    .addColumn('last_error', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['state', 'run_after']).execute();

  await withId(db, db.schema.createTable('audit_events'))
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer')
    .addColumn('username', 'text')
    .addColumn('client_ip', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('result', 'text', (col) => col.notNull())
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_events_target_idx').on('audit_events').columns(['target_type', 'target_id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['audit_events', 'jobs', 'media_files', 'recording_sessions', 'rooms', 'suspects', 'cases', 'login_sessions', 'users', 'departments']) {
    await db.schema.dropTable(table).execute();
  }
}
