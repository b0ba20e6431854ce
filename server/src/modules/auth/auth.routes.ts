import rateLimit from '@fastify/rate-limit';
import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';
import { requireUser } from './auth.guard.js';
import { SESSION_COOKIE } from './auth.hooks.js';

export { SESSION_COOKIE } from './auth.hooks.js';

/** The initial password the manual names; the hints mention it only while the site keeps it. */
const DEFAULT_INITIAL_PASSWORD = '123456';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const ChangePasswordBody = Type.Object(
  {
    oldPassword: Type.String({ minLength: 1, maxLength: 128 }),
    newPassword: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export async function authRoutes(app: AppInstance): Promise<void> {
  const { auth, rooms, config } = app.services;

  // Registered inside this plugin, so the limit covers only the routes that opt in below (login).
  await app.register(rateLimit, { global: false });

  app.post(
    '/api/auth/login',
    {
      schema: { body: LoginBody },
      config: {
        isPublic: true,
        rateLimit: {
          max: config.loginRateLimitPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request) => request.ip,
          // After validation, so the refused attempt can be audited with the user name it tried.
          hook: 'preHandler',
          onExceeded: (request) => {
            const body = request.body as { username?: string } | undefined;
            auth.recordRateLimitedLogin((body?.username ?? '').trim().slice(0, 64), request.ip).catch((error: unknown) => {
              request.log.error({ err: error }, 'could not audit a rate-limited login');
            });
          },
          errorResponseBuilder: () => new AppError('LOGIN_RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      const { token, csrfToken, user } = await auth.login(request.body.username.trim(), request.body.password, request.ip);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
      });
      return { user, csrfToken };
    },
  );

  app.post('/api/auth/logout', { config: { isPublic: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await auth.logout(token, request.user, request.ip, 'user');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204);
  });

  app.get('/api/auth/me', async (request) => {
    const user = requireUser(request);
    const room = await rooms.findConsoleRoom(request.ip);
    return {
      user,
      csrfToken: request.csrfToken,
      clientIp: request.ip,
      consoleRoom: room ? { id: room.id, name: room.name } : null,
      // For the hints on the password and user screens; the initial password itself is never sent.
      passwordPolicy: { minLength: config.passwordMinLength, isInitialPasswordDefault: config.defaultPassword === DEFAULT_INITIAL_PASSWORD },
    };
  });

  app.post('/api/auth/password', { schema: { body: ChangePasswordBody } }, async (request) => {
    const user = requireUser(request);
    const updated = await auth.changePassword(user, request.body.oldPassword, request.body.newPassword, request.ip);
    return { user: updated };
  });
}
