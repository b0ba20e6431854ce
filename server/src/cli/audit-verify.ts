import { existsSync } from 'node:fs';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { describeVerification } from '../modules/audit/audit-chain.js';
import { AuditService } from '../modules/audit/audit.service.js';

/**
 * Verifies the audit log's hash chain in the database named by the configuration (TONGLU_DATABASE_URL).
 * Prints the result and exits with 0 when the chain is intact, 1 at the first broken row, 2 on an error.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  // Opening a missing SQLite file would create an empty database there, so a wrong path fails here instead.
  const sqliteFile = config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.slice('sqlite:'.length) : null;
  if (sqliteFile && sqliteFile !== ':memory:' && !existsSync(sqliteFile)) {
    console.error(`audit-verify failed: database file ${sqliteFile} not found. Set TONGLU_DATABASE_URL or TONGLU_DATA_DIR to the server's values`);
    return 2;
  }

  const db = openDatabase(config.databaseUrl);
  try {
    const result = await new AuditService(db).verify();
    console.log(describeVerification(result));
    console.log(JSON.stringify(result));
    return result.ok ? 0 : 1;
  } finally {
    await db.kysely.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('audit-verify failed:', error);
    process.exitCode = 2;
  },
);
