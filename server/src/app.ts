import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import type { AppInstance } from './app.types.js';
import type { AppConfig } from './config/config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { AppError, errorCatalogue } from './lib/errors.js';
import { describeValidationError } from './lib/validation-messages.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { authRoutes, SESSION_COOKIE } from './modules/auth/auth.routes.js';
import { caseRoutes } from './modules/cases/case.routes.js';
import { liveRoutes } from './modules/live/live.routes.js';
import { mediaRoutes } from './modules/media/media.routes.js';
import { roomRoutes } from './modules/rooms/room.routes.js';
import { sessionRoutes } from './modules/sessions/session.routes.js';
import { createServices } from './services.js';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** Builds the whole application: database, services, routes, web UI. Tests call this and use `inject()`. */
export async function buildApp(config: AppConfig, options: BuildOptions = {}): Promise<AppInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as AppInstance;

  const db = openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  app.decorate('services', createServices(config, db, app.log));
  app.decorateRequest('user', null);

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    request.user = token ? await app.services.auth.resolve(token) : null;
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      // Expected failures such as an offline NVR are warnings with their code; the stack adds nothing.
      if (error.status >= 500) request.log.warn({ code: error.code, reason: error.message }, 'request failed');
      return reply.code(error.status).send({ code: error.code, message: error.message });
    }
    if (error.validation) {
      return reply.code(400).send({ code: 'VALIDATION_FAILED', message: describeValidationError(error.validation) });
    }
    if (error.statusCode && error.statusCode < 500) {
      const message = error.statusCode === 413 ? '上传的内容过大。' : '请求格式不正确，请刷新页面后重试。';
      return reply.code(error.statusCode).send({ code: 'BAD_REQUEST', message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ code: 'INTERNAL', message: errorCatalogue.INTERNAL.message });
  });

  await app.register(authRoutes);
  await app.register(caseRoutes);
  await app.register(roomRoutes);
  await app.register(sessionRoutes);
  await app.register(mediaRoutes);
  await app.register(liveRoutes);
  await app.register(auditRoutes);

  const hasWeb = existsSync(path.join(config.webDir, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root: config.webDir, wildcard: false, index: 'index.html' });
  app.setNotFoundHandler((request, reply) => {
    // Client-side routes of the single-page app load index.html; unknown API paths get a JSON 404.
    if (hasWeb && request.method === 'GET' && !request.url.startsWith('/api/')) return reply.sendFile('index.html');
    return reply.code(404).send({ code: 'NOT_FOUND', message: errorCatalogue.NOT_FOUND.message });
  });

  if (config.runWorker) app.addHook('onReady', async () => app.services.worker.start());
  app.addHook('onClose', async () => {
    app.services.live.stopAll();
    await app.services.worker.stop();
    await db.kysely.destroy();
  });

  return app;
}

