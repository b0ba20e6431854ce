import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';
import { contentDisposition } from '../../lib/file-names.js';
import { requireUser } from '../auth/auth.guard.js';
import { parseByteRange } from './byte-range.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const ContentQuery = Type.Object({ download: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])) });

export async function mediaRoutes(app: AppInstance): Promise<void> {
  const { media, audit } = app.services;

  app.get('/api/files/:id/content', { schema: { params: IdParams, querystring: ContentQuery } }, async (request, reply) => {
    const user = requireUser(request);
    const { file, absolutePath, size, contentType, caseId } = await media.open(user, request.params.id);
    const isDownload = request.query.download === '1';
    const etag = `"${file.sha256}"`;

    // A matching If-Range means the client's partial copy is still valid; otherwise it gets the whole file.
    const ifRange = request.headers['if-range'];
    const rangeHeader = ifRange && ifRange !== etag ? undefined : request.headers.range;
    const range = parseByteRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      reply.header('Content-Range', `bytes */${size}`);
      throw new AppError('RANGE_NOT_SATISFIABLE');
    }

    // One audit event per viewing or download, not per Range request of the same playback.
    const isFirstRequest = range.kind === 'full' || range.start === 0;
    if (isFirstRequest) {
      await audit.record({
        userId: user.id,
        username: user.username,
        clientIp: request.ip,
        action: isDownload ? 'file.download' : 'file.play',
        targetType: 'media_file',
        targetId: file.id,
        result: 'success',
        details: { caseId, sessionId: file.session_id },
      });
    }

    reply
      .header('Content-Type', contentType)
      .header('Accept-Ranges', 'bytes')
      .header('ETag', etag)
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Disposition', contentDisposition(file.file_name, isDownload ? 'attachment' : 'inline', `tonglu-${file.session_id}-${file.id}${path.extname(file.file_name)}`));

    if (range.kind === 'partial') {
      reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${size}`).header('Content-Length', range.end - range.start + 1);
      return reply.send(createReadStream(absolutePath, { start: range.start, end: range.end }));
    }
    reply.header('Content-Length', size);
    return reply.send(createReadStream(absolutePath));
  });
}
