import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';
import { contentDisposition } from '../../lib/file-names.js';
import { requireUser } from '../auth/auth.guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const UploadQuery = Type.Object({ fileName: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });

/**
 * Registers 上传文书 and the document list. The file is the raw request body (Content-Type application/octet-stream) and its name is the `fileName`
 * query parameter, so multi-megabyte files stream to disk without a multipart parser.
 */
export async function documentRoutes(app: AppInstance): Promise<void> {
  const { documents, audit } = app.services;

  /** Rejects bodies that are not a raw file or that declare more bytes than the limit, before anything is written. */
  function checkRawBody(request: FastifyRequest): void {
    if (!request.headers['content-type']?.startsWith('application/octet-stream')) {
      throw new AppError('VALIDATION_FAILED', '请以 application/octet-stream 方式上传文件内容。');
    }
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > documents.maxDocumentBytes) throw new AppError('DOCUMENT_TOO_LARGE');
  }

  // The parser is scoped to this plugin. It leaves the body a stream, and and the service enforces the size limit while writing.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.post(
    '/api/sessions/:id/documents',
    { schema: { params: IdParams, querystring: UploadQuery } },
    async (request, reply) => {
      const user = requireUser(request);
      checkRawBody(request);
      const document = await documents.upload(user, request.ip, request.params.id, request.query.fileName, request.body as AsyncIterable<Buffer>);
      reply.code(201);
      return document;
    },
  );

  app.get('/api/sessions/:id/documents', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return documents.list(user, request.params.id);
  });

  app.post('/api/cases/:id/documents', { schema: { params: IdParams, querystring: UploadQuery } }, async (request, reply) => {
    const user = requireUser(request);
    checkRawBody(request);
    const document = await documents.uploadToCase(user, request.ip, request.params.id, request.query.fileName, request.body as AsyncIterable<Buffer>);
    reply.code(201);
    return document;
  });

  app.get('/api/cases/:id/documents', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return documents.listForCase(user, request.params.id);
  });

  app.get('/api/case-documents/:id/content', { schema: { params: IdParams } }, async (request, reply) => {
    const user = requireUser(request);
    const { file, absolutePath, size, contentType } = await documents.openCaseDocument(user, request.params.id);
    await audit.record({
      userId: user.id,
      username: user.username,
      clientIp: request.ip,
      action: 'file.download',
      targetType: 'case_document',
      targetId: file.id,
      result: 'success',
      details: { caseId: file.case_id },
    });
    reply
      .header('Content-Type', contentType)
      .header('Content-Length', size)
      .header('ETag', `"${file.sha256}"`)
      .header('Cache-Control', 'private, no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Disposition', contentDisposition(file.file_name, 'attachment'));
    return reply.send(createReadStream(absolutePath));
  });
}
