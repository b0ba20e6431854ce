import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { AppInstance } from '../../src/app.types.js';
import { SecretBox } from '../../src/adapters/crypto/secret-box.js';
import { loadSecretKey } from '../../src/adapters/crypto/secret-key.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { seedDemoData, type DemoRoom } from '../../src/db/seed.js';
import { createTestDatabase } from './test-database.js';

export interface TestApp {
  app: AppInstance;
  config: AppConfig;
  close: () => Promise<void>;
  /** Logs in through the API and returns the cookie header value. */
  /** The CSRF header for a cookie from `login`, for requests sent over real HTTP instead of inject. */
  csrfHeaders: (cookie: string) => Record<string, string>;
  /** Logs in from `remoteAddress` (default 127.0.0.1, the demo room's PC). */
  login: (username: string, password?: string, remoteAddress?: string) => Promise<string>;
}

export const defaultTestRoom: DemoRoom = {
  name: '刑检-101讯问室',
  nvrHost: '127.0.0.1',
  nvrHttpPort: 9,
  nvrRtspPort: 9,
  username: 'admin',
  password: 'unused',
  pcIp: '127.0.0.1',
};

/**
 * Makes `app.inject` send the login session's CSRF header, as the web UI does, on every state-changing request
 * with a cookie from `login()` and no X-Tonglu-CSRF header of its own. Returns the cookie-to-token map.
 */
function addCsrfHeaders(app: AppInstance): Map<string, string> {
  const csrfTokens = new Map<string, string>();
  const inject = app.inject.bind(app);
  const withCsrf = (options: InjectOptions | string) => {
    if (typeof options === 'string') return inject(options);
    const headers: Record<string, unknown> = { ...options.headers };
    const token = typeof headers.cookie === 'string' ? csrfTokens.get(headers.cookie) : undefined;
    const isSafe = ['GET', 'HEAD', 'OPTIONS'].includes((options.method ?? 'GET').toUpperCase());
    if (token && !isSafe && !('x-tonglu-csrf' in headers)) headers['x-tonglu-csrf'] = token;
    return inject({ ...options, headers: headers as InjectOptions['headers'] });
  };
  Object.assign(app, { inject: withCsrf });
  return csrfTokens;
}

/** Builds the real app on a temporary data folder and database, seeded with the demo accounts, room and cases. */
export async function createTestApp(overrides: Partial<AppConfig> = {}, room: DemoRoom = defaultTestRoom): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tonglu-app-'));
  const database = await createTestDatabase(dataDir);
  // Tests log in far more often per minute than a person; the rate-limit test sets its own limit.
  const config = loadConfig(
    {},
    { dataDir, databaseUrl: database.url, runWorker: false, logLevel: 'warn', webDir: path.join(dataDir, 'no-web'), loginRateLimitPerMinute: 10_000, ...overrides },
  );
  const app = await buildApp(config, { logger: { level: process.env.TONGLU_TEST_LOG ?? 'silent' } });
  await seedDemoData(app.services.db, new SecretBox(loadSecretKey(config.secretKey, config.dataDir)), room);
  await app.ready();
  const csrfTokens = addCsrfHeaders(app);

  return {
    app,
    config,
    close: async () => {
      await app.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    csrfHeaders: (cookie): Record<string, string> => {
      const token = csrfTokens.get(cookie);
      return token ? { 'x-tonglu-csrf': token } : {};
    },
    login: async (username, password, remoteAddress) => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        ...(remoteAddress ? { remoteAddress } : {}),
        payload: { username, password: password ?? (username === 'admin' ? 'Admin@2026' : 'Tonglu@2026') },
      });
      if (response.statusCode !== 200) throw new Error(`login of ${username} failed: ${response.body}`);
      const cookie = response.cookies.find((item) => item.name === 'tonglu_sid');
      if (!cookie) throw new Error('login set no cookie');
      csrfTokens.set(`tonglu_sid=${cookie.value}`, response.json().csrfToken);
      return `tonglu_sid=${cookie.value}`;
    },
  };
}
