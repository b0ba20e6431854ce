import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireUser } from '../auth/auth.guard.js';
import { idTypes } from './id-number.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const NewCaseBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    caseNumber: Type.Optional(Type.String({ maxLength: 100 })),
    acceptedOn: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    stage: Type.Optional(Type.String({ maxLength: 20 })),
    suspects: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100 }),
          idTypeCode: Type.String({ minLength: 1, maxLength: 10 }),
          idNumber: Type.String({ minLength: 1, maxLength: 40 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

const CaseUpdateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    caseNumber: Type.Optional(Type.String({ maxLength: 100 })),
    acceptedOn: Type.String({ minLength: 1, maxLength: 10 }),
    stage: Type.Optional(Type.String({ maxLength: 20 })),
    suspects: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.Integer({ minimum: 1 })),
          name: Type.String({ minLength: 1, maxLength: 100 }),
          idTypeCode: Type.String({ minLength: 1, maxLength: 10 }),
          idNumber: Type.Optional(Type.String({ maxLength: 40 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({
  keyword: Type.Optional(Type.String({ maxLength: 100 })),
  source: Type.Optional(Type.Union([Type.Literal('self-built'), Type.Literal('unified')])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export async function caseRoutes(app: AppInstance): Promise<void> {
  const { cases } = app.services;

  app.get('/api/id-types', async () => idTypes);

  app.get('/api/cases', { schema: { querystring: ListQuery } }, async (request) => {
    const user = requireUser(request);
    return cases.list(user, request.query.keyword ?? '', request.query.page ?? 1, request.query.pageSize ?? 20, request.query.source);
  });

  app.get('/api/cases/:id', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    const detail = await cases.getDetail(user, request.params.id);
    await app.services.audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action: 'case.view', targetType: 'case', targetId: request.params.id, result: 'success' });
    return detail;
  });

  const caseLabels = { name: '案件名称', caseNumber: '部门受案号' };
  app.post('/api/cases', { schema: { body: NewCaseBody }, config: { fieldLabels: caseLabels } }, async (request, reply) => {
    const user = requireUser(request);
    const caseId = await cases.create(user, request.body);
    await app.services.audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action: 'case.create', targetType: 'case', targetId: caseId, result: 'success' });
    reply.code(201);
    return cases.getDetail(user, caseId);
  });

  app.put('/api/cases/:id', { schema: { params: IdParams, body: CaseUpdateBody } }, async (request) => {
    const user = requireUser(request);
    await cases.update(user, request.params.id, request.body);
    await app.services.audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action: 'case.update', targetType: 'case', targetId: request.params.id, result: 'success' });
    return cases.getDetail(user, request.params.id);
  });
}
