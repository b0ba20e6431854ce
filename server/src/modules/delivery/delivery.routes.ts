import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireRole, requireUser } from '../auth/auth.guard.js';
import { deliveryStates } from './delivery.service.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const ListQuery = Type.Object({
  state: Type.Optional(Type.Union(deliveryStates.map((state) => Type.Literal(state)))),
  caseName: Type.Optional(Type.String({ maxLength: 100 })),
  caseNumber: Type.Optional(Type.String({ maxLength: 100 })),
  sortBy: Type.Optional(Type.Union(['createdAt', 'updatedAt', 'packageId', 'bytesTotal', 'state'].map((key) => Type.Literal(key)))),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

/** 易办案推送: the package list for system admins, and 重试 of a failed package. */
export async function deliveryRoutes(app: AppInstance): Promise<void> {
  const { deliveries } = app.services;

  app.get('/api/deliveries', { schema: { querystring: ListQuery }, config: { role: 'sysadmin', fieldLabels: { state: '推送状态' } } }, async (request) => {
    const user = requireRole(request, 'sysadmin');
    return deliveries.list(user, request.query as Parameters<typeof deliveries.list>[1]);
  });

  app.post('/api/deliveries/:id/retry', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return deliveries.retry(user, request.ip, request.params.id);
  });
}
