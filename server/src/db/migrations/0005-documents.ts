import { PostgresAdapter, type Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function isPostgres(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Adds the 资料补充 flag on media files, the 电子卷宗 (dossier) files of a case, the uploads of 非办案区同录
 * and the documents added to a case as a whole.
 */
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

  // Videos uploaded over tus to an off-site session before 结束办案. The archive job turns them into media files.
  let uploads = db.schema.createTable('offsite_uploads');
  uploads = postgres
    ? uploads.addColumn('id', 'serial', (col) => col.primaryKey())
    : uploads.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  await uploads
    .addColumn('session_id', 'integer', (col) => col.notNull().references('recording_sessions.id'))
    .addColumn('upload_id', 'text', (col) => col.notNull().unique())
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('size', postgres ? 'bigint' : 'integer', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('format_name', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('codec', 'text')
    .addColumn('created_by', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('offsite_uploads_session_idx').on('offsite_uploads').column('session_id').execute();

  // Documents added to a case as a whole (资料补充 without a session).
  let caseDocuments = db.schema.createTable('case_documents');
  caseDocuments = postgres
    ? caseDocuments.addColumn('id', 'serial', (col) => col.primaryKey())
    : caseDocuments.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  await caseDocuments
    .addColumn('case_id', 'integer', (col) => col.notNull().references('cases.id'))
    .addColumn('file_name', 'text', (col) => col.notNull())
    .addColumn('stored_path', 'text', (col) => col.notNull().unique())
    .addColumn('size', postgres ? 'bigint' : 'integer', (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('sm3', 'text', (col) => col.notNull())
    .addColumn('created_by', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('case_documents_case_idx').on('case_documents').column('case_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('case_documents').execute();
  await db.schema.dropTable('offsite_uploads').execute();
  await db.schema.dropTable('dossier_files').execute();
  await db.schema.alterTable('media_files').dropColumn('is_addition').execute();
}
