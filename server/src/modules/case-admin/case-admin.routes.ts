import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireRole } from '../auth/auth.guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const BackfillBody = Type.Object(
  {
    caseId: Type.Integer({ minimum: 1 }),
    suspectId: Type.Integer({ minimum: 1 }),
    roomId: Type.Integer({ minimum: 1 }),
    startedAt: Type.String({ minLength: 1, maxLength: 40 }),
    endedAt: Type.String({ minLength: 1, maxLength: 40 }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    uploadToYibanan: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const TransferBody = Type.Object(
  {
    handlerId: Type.Integer({ minimum: 1 }),
    revokeGranteeIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 200 })),
  },
  { additionalProperties: false },
);

/** 视频补录 and 案件移交, for system admins only. */
export async function caseAdminRoutes(app: AppInstance): Promise<void> {
  const { caseAdmin, sessions } = app.services;

  app.post('/api/backfills', { schema: { body: BackfillBody } }, async (request, reply) => {
    const user = requireRole(request, 'sysadmin');
    const sessionId = await caseAdmin.backfill(user, request.ip, request.body);
    reply.code(201);
    return sessions.view(await sessions.getVisible(user, sessionId));
  });

  app.post('/api/cases/:id/transfer', { schema: { params: IdParams, body: TransferBody } }, async (request) => {
    const user = requireRole(request, 'sysadmin');
    await caseAdmin.transfer(user, request.ip, request.params.id, request.body);
    return app.services.cases.getDetail(user, request.params.id);
  });
}
