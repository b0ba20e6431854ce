import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Returns a database URL for one test file: a temporary SQLite file, or, when TONGLU_TEST_DIALECT=postgres,
 * a fresh PostgreSQL database created through TONGLU_TEST_DATABASE_URL and dropped by the returned cleanup.
 */
export async function createTestDatabase(dataDir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.TONGLU_TEST_DATABASE_URL;
  if (process.env.TONGLU_TEST_DIALECT !== 'postgres') return { url: `sqlite:${dataDir}/test.sqlite`, drop: async () => undefined };
  if (!adminUrl) throw new Error('TONGLU_TEST_DIALECT=postgres needs TONGLU_TEST_DATABASE_URL');

  const name = `tonglu_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      // pg-pool 3.14.0's end() resolves before its sockets have closed (_pulseQueue). Dropping WITH (FORCE) then terminates those
      // backends, and the closing clients raise an unhandled 'error', so wait up to 5 s for them to go.
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const { rows } = await client.query<{ count: number }>('select count(*)::int as count from pg_stat_activity where datname = $1', [name]);
        if (rows[0]?.count === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
