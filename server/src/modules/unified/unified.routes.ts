import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';
import { contentDisposition } from '../../lib/file-names.js';
import { requireRole } from '../auth/auth.guard.js';
import { buildTemplate } from './unified-workbook.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const PageQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);
const ImportQuery = Type.Object({ fileName: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** 系统管理 › 大统一同步: status, run history, 立即同步, unmatched handlers, file import and its template. */
export async function unifiedRoutes(app: AppInstance): Promise<void> {
  const { unifiedSync, unifiedImport } = app.services;
  const sysadmin = { role: 'sysadmin' as const };

  app.get('/api/unified/status', { config: sysadmin }, async (request) => {
    requireRole(request, 'sysadmin');
    return unifiedSync.status();
  });

  app.get('/api/unified/runs', { config: sysadmin, schema: { querystring: PageQuery } }, async (request) => {
    requireRole(request, 'sysadmin');
    return unifiedSync.history(request.query.page, request.query.pageSize);
  });

  app.get('/api/unified/runs/:id/rejected', { config: sysadmin, schema: { params: IdParams } }, async (request) => {
    requireRole(request, 'sysadmin');
    return unifiedSync.rejectedRows(request.params.id);
  });

  app.post('/api/unified/sync', { config: sysadmin }, async (request, reply) => {
    const user = requireRole(request, 'sysadmin');
    await unifiedSync.requestRun(user, request.ip);
    reply.code(202);
    return { queued: true };
  });

  app.get('/api/unified/handlers/unmatched', { config: sysadmin }, async (request) => {
    requireRole(request, 'sysadmin');
    return unifiedSync.unmatchedHandlers();
  });

  app.get('/api/unified/import/template', { config: sysadmin }, async (request, reply) => {
    requireRole(request, 'sysadmin');
    reply.header('Content-Type', XLSX_TYPE).header('Content-Disposition', contentDisposition('大统一案件导入模板.xlsx', 'attachment'));
    return reply.send(await buildTemplate());
  });

  // The file is the raw body; this plugin's parser leaves it a stream and the service stops reading at the limit.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  function checkUploadHeaders(request: FastifyRequest): void {
    if (!request.headers['content-type']?.startsWith('application/octet-stream')) {
      throw new AppError('VALIDATION_FAILED', '请以 application/octet-stream 方式上传导入文件。');
    }
  }

  app.post(
    '/api/unified/import',
    { config: sysadmin, schema: { querystring: ImportQuery } },
    async (request) => {
      const user = requireRole(request, 'sysadmin');
      checkUploadHeaders(request);
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      return unifiedImport.importUpload(user, request.ip, request.query.fileName, declaredLength, request.body as AsyncIterable<Buffer>);
    },
  );
}
