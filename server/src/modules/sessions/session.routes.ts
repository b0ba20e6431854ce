import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireUser } from '../auth/auth.guard.js';
import { SESSION_COOKIE } from '../auth/auth.routes.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const StartBody = Type.Object(
  {
    caseId: Type.Integer({ minimum: 1 }),
    suspectId: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

const EndBody = Type.Object({ uploadToYibanan: Type.Boolean() }, { additionalProperties: false });

export async function sessionRoutes(app: AppInstance): Promise<void> {
  const { sessions, auth } = app.services;

  app.get('/api/console', async (request) => {
    const user = requireUser(request);
    return sessions.getConsole(user, request.ip);
  });

  app.get('/api/sessions/active', async (request) => {
    const user = requireUser(request);
    return sessions.listActive(user);
  });

  app.post('/api/sessions', { schema: { body: StartBody } }, async (request, reply) => {
    const user = requireUser(request);
    const session = await sessions.start(user, request.ip, request.body.caseId, request.body.suspectId);
    reply.code(201);
    return session;
  });

  app.post('/api/sessions/:id/end', { schema: { params: IdParams, body: EndBody } }, async (request, reply) => {
    const user = requireUser(request);
    const { session, isRoomPc } = await sessions.end(user, request.ip, request.params.id, request.body.uploadToYibanan);

    // The room PC is shared by everyone who works in the room, so ending a session there logs its user out.
    const token = request.cookies[SESSION_COOKIE];
    if (isRoomPc && token) {
      await auth.logout(token, user, request.ip, 'session ended on room PC');
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    }
    return { ...session, loggedOut: isRoomPc };
  });

  app.post('/api/sessions/:id/retry', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return sessions.retry(user, request.ip, request.params.id);
  });

  app.get('/api/cases/:id/sessions', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    const list = await sessions.listForCase(user, request.params.id);
    // The list carries every file's details and hashes, so opening it counts as viewing the recordings.
    await app.services.audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action: 'session.list.view', targetType: 'case', targetId: request.params.id, result: 'success' });
    return list;
  });
}
