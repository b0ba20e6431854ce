import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../../app.types.js';
import { invalid } from '../../lib/errors.js';
import { contentDisposition, formatCompactLocal } from '../../lib/file-names.js';
import { nowIso } from '../../lib/time.js';
import { requireRole, requireUser } from '../auth/auth.guard.js';
import { auditActionLabels, auditResultLabels, labelAction, labelRoles } from './audit-actions.js';
import { describeVerification } from './audit-chain.js';
import { streamAuditCsv, streamAuditXlsx } from './audit-export.js';
import { AuditRepository, auditSortColumns, type AuditSearch } from './audit.repository.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const SearchQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    username: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    targetType: Type.Optional(Type.String({ maxLength: 40 })),
    targetId: Type.Optional(Type.String({ maxLength: 64 })),
    result: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
    clientIp: Type.Optional(Type.String({ maxLength: 45 })),
    sortBy: Type.Optional(Type.Union(Object.keys(auditSortColumns).map((key) => Type.Literal(key)))),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);
type SearchQuery = Static<typeof SearchQuery>;

const ExportQuery = Type.Object({ ...SearchQuery.properties, format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]) }, { additionalProperties: false });

/** Access history entries returned per case; older entries stay searchable in 安全审计. */
const FILE_ACCESS_LIMIT = 500;

function parseInstant(value: string | undefined, label: string): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw invalid(`${label}格式不正确，请重新选择。`);
  return new Date(time).toISOString();
}

/** Validates the search form: both times must parse and the start may not be after the end. */
function toSearch(query: SearchQuery): AuditSearch {
  const from = parseInstant(query.from, '开始时间');
  const to = parseInstant(query.to, '结束时间');
  if (from && to && from > to) throw invalid('开始时间不能晚于结束时间，请重新选择。');
  return {
    from,
    to,
    username: query.username?.trim() || undefined,
    action: query.action || undefined,
    targetType: query.targetType || undefined,
    targetId: query.targetId?.trim() || undefined,
    result: query.result,
    clientIp: query.clientIp?.trim() || undefined,
    sortBy: (query.sortBy as keyof typeof auditSortColumns | undefined) ?? 'at',
    order: query.order ?? 'desc',
  };
}

export async function auditRoutes(app: AppInstance): Promise<void> {
  const { audit, cases } = app.services;
  const repository = new AuditRepository(app.services.db);

  const recordAuditorAction = async (request: FastifyRequest, action: string, details: Record<string, unknown>) => {
    const user = requireUser(request);
    await audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action, targetType: 'audit_log', result: 'success', details });
  };

  app.get('/api/audit/actions', async (request) => {
    requireRole(request, 'auditor');
    return Object.entries(auditActionLabels).map(([code, label]) => ({ code, label }));
  });

  app.get('/api/audit/events', { schema: { querystring: SearchQuery } }, async (request) => {
    requireRole(request, 'auditor');
    const search = toSearch(request.query);
    const page = request.query.page ?? 1;
    const pageSize = request.query.pageSize ?? 20;
    const { rows, total } = await repository.search(search, (page - 1) * pageSize, pageSize);
    return {
      total,
      items: rows.map((row) => ({
        id: row.id,
        seq: row.seq,
        at: row.at,
        username: row.username,
        displayName: row.display_name,
        role: row.role,
        roleLabel: labelRoles(row.role),
        clientIp: row.client_ip,
        action: row.action,
        actionLabel: labelAction(row.action),
        targetType: row.target_type,
        targetId: row.target_id,
        result: row.result,
        resultLabel: auditResultLabels[row.result] ?? row.result,
        details: row.details,
      })),
    };
  });

  app.get('/api/audit/export', { schema: { querystring: ExportQuery } }, async (request, reply) => {
    requireRole(request, 'auditor');
    const { format, page: _page, pageSize: _pageSize, ...query } = request.query;
    const search = toSearch(query);
    await recordAuditorAction(request, 'audit.export', { format, filter: search });

    const fileName = `安全审计日志-${formatCompactLocal(nowIso())}.${format}`;
    reply.header('Content-Disposition', contentDisposition(fileName, 'attachment')).header('Cache-Control', 'private, no-store');
    if (format === 'csv') {
      reply.header('Content-Type', 'text/csv; charset=utf-8');
      return reply.send(streamAuditCsv(repository, search));
    }
    reply.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    return reply.send(streamAuditXlsx(repository, search, (error) => request.log.error({ err: error }, 'audit xlsx export failed')));
  });

  app.post('/api/audit/verify', async (request) => {
    requireRole(request, 'auditor');
    const result = await audit.verify();
    await recordAuditorAction(request, 'audit.verify', { ok: result.ok, checked: result.checked, brokenId: result.brokenId, reason: result.reason });
    return { ...result, message: describeVerification(result) };
  });

  // Who played or downloaded the files of a case: anyone who may see the case may see its history.
  app.get('/api/cases/:id/file-access', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    await cases.getVisible(user, request.params.id);
    const rows = await repository.listFileAccess(request.params.id, FILE_ACCESS_LIMIT);
    await audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action: 'file.access.view', targetType: 'case', targetId: request.params.id, result: 'success' });
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      username: row.username,
      displayName: row.display_name,
      clientIp: row.client_ip,
      action: row.action,
      actionLabel: labelAction(row.action),
      result: row.result,
      fileId: row.file_id,
      fileName: row.file_name,
      sessionId: row.session_id,
    }));
  });
}
