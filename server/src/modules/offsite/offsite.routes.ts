import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppInstance } from '../../app.types.js';
import { requireUser } from '../auth/auth.guard.js';
import { TUS_PATH } from './tus-uploads.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const UploadParams = Type.Object({ id: Type.Integer({ minimum: 1 }), uploadId: Type.Integer({ minimum: 1 }) });
const TusParams = Type.Object({ uploadId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }) });

const StartBody = Type.Object(
  {
    caseId: Type.Integer({ minimum: 1 }),
    suspectId: Type.Integer({ minimum: 1 }),
    startedAt: Type.String({ minLength: 1, maxLength: 40 }),
    endedAt: Type.String({ minLength: 1, maxLength: 40 }),
  },
  { additionalProperties: false },
);

/** Registers 非办案区同录: start, upload list, 删除, 结束办案, and the tus endpoint for the videos. */
export async function offsiteRoutes(app: AppInstance): Promise<void> {
  const { offsite, tusUploads } = app.services;

  // tus PATCH bodies stay unread here, because @tus/server streams them from the raw request itself.
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

  app.post('/api/offsite-sessions', { schema: { body: StartBody } }, async (request, reply) => {
    const user = requireUser(request);
    const session = await offsite.start(user, request.ip, request.body);
    reply.code(201);
    return session;
  });

  app.get('/api/offsite-sessions/:id/uploads', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return offsite.listUploads(user, request.params.id);
  });

  app.delete('/api/offsite-sessions/:id/uploads/:uploadId', { schema: { params: UploadParams } }, async (request, reply) => {
    const user = requireUser(request);
    const removed = await offsite.removeUpload(user, request.ip, request.params.id, request.params.uploadId);
    await tusUploads.removeFiles(removed.upload_id);
    return reply.code(204).send();
  });

  app.post('/api/offsite-sessions/:id/end', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return offsite.end(user, request.ip, request.params.id);
  });

  /** Hands the raw request to @tus/server with the user in the hooks' context. */
  async function handleTus(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const user = requireUser(request);
    reply.hijack();
    await tusUploads.context.run({ user, clientIp: request.ip }, () => tusUploads.server.handle(request.raw, reply.raw));
  }

  app.post(TUS_PATH, async (request, reply) => handleTus(request, reply));

  // HEAD (resume offset) and PATCH (bytes) must name an upload of a session the user may still upload to.
  for (const method of ['HEAD', 'PATCH'] as const) {
    app.route({
      method,
      url: `${TUS_PATH}/:uploadId`,
      schema: { params: TusParams },
      handler: async (request, reply) => {
        const user = requireUser(request);
        await offsite.getWritableUpload(user, (request.params as { uploadId: string }).uploadId);
        return handleTus(request, reply);
      },
    });
  }
}
