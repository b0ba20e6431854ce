import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { AppInstance } from './app.types.js';
import type { AppConfig } from './config/config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { AppError, errorCatalogue } from './lib/errors.js';
import { describeValidationError } from './lib/validation-messages.js';
import { addSessionHooks } from './modules/auth/auth.hooks.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { hasRole, type Role } from './modules/auth/auth.types.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { caseRoutes } from './modules/cases/case.routes.js';
import { caseAccessRoutes } from './modules/cases/case-access.routes.js';
import { caseAdminRoutes } from './modules/case-admin/case-admin.routes.js';
import { deliveryRoutes } from './modules/delivery/delivery.routes.js';
import { documentRoutes } from './modules/documents/document.routes.js';
import { dossierRoutes } from './modules/dossier/dossier.routes.js';
import { liveRoutes } from './modules/live/live.routes.js';
import { mediaRoutes } from './modules/media/media.routes.js';
import { offsiteRoutes } from './modules/offsite/offsite.routes.js';
import { roomRoutes } from './modules/rooms/room.routes.js';
import { sessionRoutes } from './modules/sessions/session.routes.js';
import { unifiedRoutes } from './modules/unified/unified.routes.js';
import { userRoutes } from './modules/users/user.routes.js';
import { createServices } from './services.js';

/** Route config read by the hooks: `isPublic` routes need no login, `role` routes need that role. */
export interface RouteAccess {
  isPublic?: boolean;
  role?: Role;
  /** Chinese names of this route's fields for validation messages, where the shared names are too vague. */
  fieldLabels?: Record<string, string>;
}

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** Builds the whole application: database, services, routes, web UI. Tests call this and use `inject()`. */
export async function buildApp(config: AppConfig, options: BuildOptions = {}): Promise<AppInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    // Malformed URLs (bad percent-encoding) get the same Chinese JSON error as every other bad request.
    frameworkErrors: (_error, _request, reply) => {
      void (reply as unknown as FastifyReply).code(400).send({ code: 'BAD_REQUEST', message: '请求地址无效，请检查后重试。' });
    },
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

  addSessionHooks(app);

  // Who is calling is settled before the body is validated, so strangers get 401 and the wrong role 403, never a
  // validation message that reveals the shape of a route they may not use.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as RouteAccess;
    if (!request.url.startsWith('/api/') || config.isPublic) return;
    if (!request.user) throw new AppError('UNAUTHENTICATED');
    if (config.role && !hasRole(request.user, config.role)) throw new AppError('FORBIDDEN');
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      // Expected failures such as an offline NVR are warnings with their code; the stack adds nothing.
      if (error.status >= 500) request.log.warn({ code: error.code, reason: error.message }, 'request failed');
      return reply.code(error.status).send({ code: error.code, message: error.message });
    }
    if (error.validation) {
      const labels = (request.routeOptions.config as RouteAccess).fieldLabels;
      return reply.code(400).send({ code: 'VALIDATION_FAILED', message: describeValidationError(error.validation, labels) });
    }
    if (error.statusCode && error.statusCode < 500) {
      const message = error.statusCode === 413 ? '上传的内容过大。' : '请求格式不正确，请刷新页面后重试。';
      return reply.code(error.statusCode).send({ code: 'BAD_REQUEST', message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ code: 'INTERNAL', message: errorCatalogue.INTERNAL.message });
  });

  // Browsers must not frame the pages (clickjacking) nor load anything from outside this server.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('X-Frame-Options', 'DENY');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    );
  });

  await app.register(authRoutes);
  await app.register(caseRoutes);
  await app.register(roomRoutes);
  await app.register(sessionRoutes);
  await app.register(mediaRoutes);
  await app.register(liveRoutes);
  await app.register(userRoutes);
  await app.register(caseAccessRoutes);
  await app.register(caseAdminRoutes);
  await app.register(documentRoutes);
  await app.register(dossierRoutes);
  await app.register(offsiteRoutes);
  await app.register(auditRoutes);
  await app.register(deliveryRoutes);
  await app.register(unifiedRoutes);

  const hasWeb = existsSync(path.join(config.webDir, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root: config.webDir, wildcard: false, index: 'index.html' });
  app.setNotFoundHandler((request, reply) => {
    // Client-side routes of the single-page app load index.html; unknown API paths get a JSON 404.
    if (hasWeb && request.method === 'GET' && !request.url.startsWith('/api/')) return reply.sendFile('index.html');
    return reply.code(404).send({ code: 'NOT_FOUND', message: errorCatalogue.NOT_FOUND.message });
  });

  let stopUploadExpiry: (() => void) | undefined;
  if (config.runWorker) {
    app.addHook('onReady', async () => {
      app.services.worker.start();
      app.services.unifiedSync.startSchedule();
      stopUploadExpiry = app.services.tusUploads.startExpiryTimer();
    });
  }
  app.addHook('onClose', async () => {
    stopUploadExpiry?.();
    app.services.unifiedSync.stopSchedule();
    app.services.live.stopAll();
    await app.services.worker.stop();
    app.services.deliveryJob.close();
    await db.kysely.destroy();
  });

  return app;
}

