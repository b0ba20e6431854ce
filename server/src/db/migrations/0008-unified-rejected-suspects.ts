import type { Kysely } from 'kysely';

// Migrations see an untyped database: they run before the schema types describe it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Splits a sync run's rejections: `rejected` counts rejected cases (records or 案件 rows), and the new
 * `rejected_suspects` counts suspects left out of imported cases or rows of the 嫌疑人 sheet.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('unified_sync_runs').addColumn('rejected_suspects', 'integer', (col) => col.notNull().defaultTo(0)).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('unified_sync_runs').dropColumn('rejected_suspects').execute();
}
