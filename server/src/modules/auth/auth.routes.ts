import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireUser } from './auth.guard.js';

export const SESSION_COOKIE = 'tonglu_sid';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export async function authRoutes(app: AppInstance): Promise<void> {
  const { auth, rooms } = app.services;

  app.post('/api/auth/login', { schema: { body: LoginBody }, config: { isPublic: true } }, async (request, reply) => {
    const { token, user } = await auth.login(request.body.username.trim(), request.body.password, request.ip);
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
    });
    return { user };
  });

  app.post('/api/auth/logout', { config: { isPublic: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await auth.logout(token, request.user, request.ip, 'user');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204);
  });

  app.get('/api/auth/me', async (request) => {
    const user = requireUser(request);
    const room = await rooms.findConsoleRoom(request.ip);
    return { user, clientIp: request.ip, consoleRoom: room ? { id: room.id, name: room.name } : null };
  });

}
