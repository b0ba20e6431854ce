import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';
import { requireUser } from '../auth/auth.guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const UploadQuery = Type.Object({ fileName: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });

/**
 * Registers 上传文书 and the document list. The file is the raw request body (Content-Type application/octet-stream) and its name is the `fileName`
 * query parameter, so multi-megabyte files stream to disk without a multipart parser.
 */
export async function documentRoutes(app: AppInstance): Promise<void> {
  const { documents } = app.services;

  // The parser is scoped to this plugin. It leaves the body a stream, and and the service enforces the size limit while writing.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.post(
    '/api/sessions/:id/documents',
    { schema: { params: IdParams, querystring: UploadQuery } },
    async (request, reply) => {
      const user = requireUser(request);
      if (!request.headers['content-type']?.startsWith('application/octet-stream')) {
        throw new AppError('VALIDATION_FAILED', '请以 application/octet-stream 方式上传文件内容。');
      }
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      if (declaredLength > documents.maxDocumentBytes) throw new AppError('DOCUMENT_TOO_LARGE');

      const document = await documents.upload(user, request.ip, request.params.id, request.query.fileName, request.body as AsyncIterable<Buffer>);
      reply.code(201);
      return document;
    },
  );

  app.get('/api/sessions/:id/documents', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return documents.list(user, request.params.id);
  });
}
