import { sql, type Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** Adds the account-security columns (lockout, password age, CSRF token) and the department tree. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('departments').addColumn('parent_id', 'integer', (col) => col.references('departments.id')).execute();
  await db.schema.alterTable('departments').addColumn('sort_order', 'integer', (col) => col.notNull().defaultTo(0)).execute();

  await db.schema.alterTable('users').addColumn('failed_login_count', 'integer', (col) => col.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('users').addColumn('locked_until', 'text').execute();
  // NULL means "unknown": the password age then counts from created_at.
  await db.schema.alterTable('users').addColumn('password_changed_at', 'text').execute();
  await db.schema.alterTable('users').addColumn('updated_at', 'text').execute();

  await db.schema.alterTable('login_sessions').addColumn('csrf_token', 'text', (col) => col.notNull().defaultTo('')).execute();

  // Existing accounts start their password age now, so the upgrade itself expires no password.
  await sql`update users set password_changed_at = ${new Date().toISOString()}`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('login_sessions').dropColumn('csrf_token').execute();
  for (const column of ['updated_at', 'password_changed_at', 'locked_until', 'failed_login_count']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
  await db.schema.alterTable('departments').dropColumn('sort_order').execute();
  await db.schema.alterTable('departments').dropColumn('parent_id').execute();
}
