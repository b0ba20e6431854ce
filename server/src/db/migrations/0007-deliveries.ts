import { PostgresAdapter, type Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Adds the 易办案 deliveries: one row per package (a session's recordings, or a follow-up with documents added
 * later) with its frozen manifest and transfer progress, and the files each package lists.
 */
export async function up(db: AnyDb): Promise<void> {
  const postgres = isPostgres(db);
  const bigint = postgres ? 'bigint' : 'integer';

  let deliveries = db.schema.createTable('deliveries');
  deliveries = postgres
    ? deliveries.addColumn('id', 'serial', (col) => col.primaryKey())
    : deliveries.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  await deliveries
    .addColumn('session_id', 'integer', (col) => col.notNull().references('recording_sessions.id'))
    // TL-<site>-<session id>-<seq>: chosen by Tonglu and stable across retries, so the receiver accepts it once.
    .addColumn('package_id', 'text', (col) => col.notNull().unique())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addColumn('follows_package_id', 'text')
    .addColumn('mode', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    // The exact manifest.json bytes (UTF-8) and their SHA-256, frozen when the package is created.
    .addColumn('manifest', 'text', (col) => col.notNull())
    .addColumn('manifest_sha256', 'text', (col) => col.notNull())
    .addColumn('bytes_total', bigint, (col) => col.notNull())
    .addColumn('bytes_sent', bigint, (col) => col.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('receipt_id', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('delivered_at', 'text')
    .addUniqueConstraint('deliveries_session_seq_unique', ['session_id', 'seq'])
    .execute();
  await db.schema.createIndex('deliveries_state_idx').on('deliveries').column('state').execute();

  let files = db.schema.createTable('delivery_files');
  files = postgres
    ? files.addColumn('id', 'serial', (col) => col.primaryKey())
    : files.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  await files
    .addColumn('delivery_id', 'integer', (col) => col.notNull().references('deliveries.id'))
    .addColumn('media_file_id', 'integer', (col) => col.notNull().references('media_files.id'))
    // Position in the manifest's files array, the {index} of the upload URL.
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('path', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('size', bigint, (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('sm3', 'text', (col) => col.notNull())
    .addUniqueConstraint('delivery_files_position_unique', ['delivery_id', 'position'])
    .execute();
  await db.schema.createIndex('delivery_files_media_idx').on('delivery_files').column('media_file_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('delivery_files').execute();
  await db.schema.dropTable('deliveries').execute();
}
