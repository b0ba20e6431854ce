import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './database.js';
import * as initial from './migrations/0001-initial.js';
import * as accounts from './migrations/0002-accounts.js';
import * as auditChain from './migrations/0003-audit-chain.js';
import * as caseGrants from './migrations/0004-case-grants.js';
import * as documents from './migrations/0005-documents.js';
import * as unifiedSync from './migrations/0006-unified-sync.js';
import * as deliveries from './migrations/0007-deliveries.js';
import * as unifiedRejectedSuspects from './migrations/0008-unified-rejected-suspects.js';

const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-accounts': accounts,
  '0003-audit-chain': auditChain,
  '0004-case-grants': caseGrants,
  '0005-documents': documents,
  '0006-unified-sync': unifiedSync,
  '0007-deliveries': deliveries,
  '0008-unified-rejected-suspects': unifiedRejectedSuspects,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** Runs every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db: db.kysely, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
