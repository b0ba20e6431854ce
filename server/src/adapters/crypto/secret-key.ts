import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseKey } from './secret-box.js';

/** Reads the key for secrets at rest from the setting, or from dataDir/secret.key, creating that (mode 0600) on first start. */
export function loadSecretKey(secretKey: string, dataDir: string): Buffer {
  if (secretKey) return parseKey(secretKey);
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return parseKey(readFileSync(file, 'utf8'));
}
