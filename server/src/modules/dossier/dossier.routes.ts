import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { contentDisposition } from '../../lib/file-names.js';
import { requireUser } from '../auth/auth.guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export async function dossierRoutes(app: AppInstance): Promise<void> {
  const { dossier, audit } = app.services;

  app.get('/api/cases/:id/dossier-files', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return dossier.list(user, request.params.id);
  });

  app.get('/api/dossier-files/:id/content', { schema: { params: IdParams } }, async (request, reply) => {
    const user = requireUser(request);
    const { file, absolutePath, size, contentType } = await dossier.open(user, request.params.id);
    await audit.record({
      userId: user.id,
      username: user.username,
      clientIp: request.ip,
      action: 'dossier.download',
      targetType: 'dossier_file',
      targetId: file.id,
      result: 'success',
      details: { caseId: file.case_id, name: file.name },
    });
    reply
      .header('Content-Type', contentType)
      .header('Content-Length', size)
      .header('ETag', `"${file.sha256}"`)
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Disposition', contentDisposition(file.name, 'attachment'));
    return reply.send(createReadStream(absolutePath));
  });
}
