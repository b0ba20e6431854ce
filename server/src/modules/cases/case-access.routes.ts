import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireUser } from '../auth/auth.guard.js';
import { recordedCaseSortKeys } from './recorded-case.repository.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const GrantParams = Type.Object({ id: Type.Integer({ minimum: 1 }), userId: Type.Integer({ minimum: 1 }) });
const GrantBody = Type.Object({ granteeId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const GrantSetBody = Type.Object({ granteeIds: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 200 }) }, { additionalProperties: false });
const PeopleQuery = Type.Object({ keyword: Type.Optional(Type.String({ maxLength: 50 })) });
const RecordedQuery = Type.Object({
  caseName: Type.Optional(Type.String({ maxLength: 100 })),
  caseNumber: Type.Optional(Type.String({ maxLength: 100 })),
  suspectName: Type.Optional(Type.String({ maxLength: 50 })),
  acceptedFrom: Type.Optional(Type.String({ maxLength: 10 })),
  acceptedTo: Type.Optional(Type.String({ maxLength: 10 })),
  sortBy: Type.Optional(Type.Union(recordedCaseSortKeys.map((key) => Type.Literal(key)))),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

/** 案件同录授权 (grants on a case) and 同录案件列表 (the cases a user handled or recorded). */
export async function caseAccessRoutes(app: AppInstance): Promise<void> {
  const { caseGrants, recordedCases } = app.services;

  app.get('/api/grant-candidates', { schema: { querystring: PeopleQuery } }, async (request) => {
    requireUser(request);
    return caseGrants.searchCandidates(request.query.keyword ?? '');
  });

  app.get('/api/cases/:id/grants', { schema: { params: IdParams } }, async (request) => {
    const user = requireUser(request);
    return caseGrants.list(user, request.params.id);
  });

  app.put('/api/cases/:id/grants', { schema: { params: IdParams, body: GrantSetBody } }, async (request) => {
    const user = requireUser(request);
    const changes = await caseGrants.replace(user, request.ip, request.params.id, request.body.granteeIds);
    return { ...changes, grants: await caseGrants.list(user, request.params.id) };
  });

  app.post('/api/cases/:id/grants', { schema: { params: IdParams, body: GrantBody } }, async (request, reply) => {
    const user = requireUser(request);
    await caseGrants.grant(user, request.ip, request.params.id, request.body.granteeId);
    reply.code(201);
    return caseGrants.list(user, request.params.id);
  });

  app.delete('/api/cases/:id/grants/:userId', { schema: { params: GrantParams } }, async (request, reply) => {
    const user = requireUser(request);
    await caseGrants.revoke(user, request.ip, request.params.id, request.params.userId);
    return reply.code(204).send();
  });

  app.get('/api/recorded-cases', { schema: { querystring: RecordedQuery } }, async (request) => {
    const user = requireUser(request);
    return recordedCases.list(user, request.query);
  });
}
