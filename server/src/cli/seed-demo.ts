import { parseArgs } from 'node:util';
import { SecretBox } from '../adapters/crypto/secret-box.js';
import { loadSecretKey } from '../adapters/crypto/secret-key.js';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { seedDemoData } from '../db/seed.js';
import { seedDemoDossier } from '../modules/dossier/demo-dossier.js';

/** Creates the demo accounts, room and cases; the room points at the NVR simulator given on the command line. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'nvr-host': { type: 'string', default: '127.0.0.1' },
      'nvr-http-port': { type: 'string' },
      'nvr-rtsp-port': { type: 'string' },
      'nvr-user': { type: 'string', default: 'admin' },
      'nvr-password': { type: 'string' },
      'room-pc-ip': { type: 'string', default: '127.0.0.1' },
    },
  });
  if (!values['nvr-http-port'] || !values['nvr-rtsp-port'] || !values['nvr-password']) {
    throw new Error('usage: seed-demo --nvr-http-port N --nvr-rtsp-port N --nvr-password P [--nvr-host H] [--nvr-user U] [--room-pc-ip IP]');
  }

  const config = loadConfig();
  const key = loadSecretKey(config.secretKey, config.dataDir);

  const db = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    await seedDemoData(db, new SecretBox(key), {
      name: '刑检-101讯问室',
      nvrHost: values['nvr-host'],
      nvrHttpPort: Number(values['nvr-http-port']),
      nvrRtspPort: Number(values['nvr-rtsp-port']),
      username: values['nvr-user'],
      password: values['nvr-password'],
      pcIp: values['room-pc-ip'],
    });
    await seedDemoDossier(db, config.dataDir);
  } finally {
    await db.kysely.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
