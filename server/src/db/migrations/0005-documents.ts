import { PostgresAdapter, type Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Adds the 资料补充 flag on media files and the 电子卷宗 (dossier) files of a case. */
export async function up(db: AnyDb): Promise<void> {
  const postgres = isPostgres(db);

  // 1 marks a document added after the session ended (资料补充); created_by and created_at say who and when.
  await db.schema
    .alterTable('media_files')
    .addColumn('is_addition', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();

  let dossier = db.schema.createTable('dossier_files');
  dossier = postgres
    ? dossier.addColumn('id', 'serial', (col) => col.primaryKey())
    : dossier.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  await dossier
    .addColumn('case_id', 'integer', (col) => col.notNull().references('cases.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('folder_path', 'text', (col) => col.notNull())
    .addColumn('stored_path', 'text', (col) => col.notNull().unique())
    .addColumn('size', postgres ? 'bigint' : 'integer', (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('sm3', 'text', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('fetched_at', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('dossier_files_case_idx').on('dossier_files').column('case_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('dossier_files').execute();
  await db.schema.alterTable('media_files').dropColumn('is_addition').execute();
}
