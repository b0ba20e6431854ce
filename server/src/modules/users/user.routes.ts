import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireUser } from '../auth/auth.guard.js';
import { roles } from '../auth/auth.types.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const DepartmentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' }),
    parentId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);

const RoleList = Type.Array(Type.Union(roles.map((role) => Type.Literal(role))), { minItems: 1, maxItems: roles.length, uniqueItems: true });

const UserQuery = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 50 })),
    username: Type.Optional(Type.String({ maxLength: 64 })),
    departmentId: Type.Optional(Type.Integer({ minimum: 1 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    page: Type.Integer({ minimum: 1, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);

// Spaces around the 工号 are allowed because the service trims them; maxLength leaves room for them.
const EmployeeNo = Type.Optional(Type.Union([Type.String({ maxLength: 64, pattern: '^\\s*[0-9A-Za-z_-]{0,32}\\s*$' }), Type.Null()]));

const UserBody = Type.Object(
  {
    employeeNo: EmployeeNo,
    username: Type.String({ minLength: 2, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' }),
    displayName: Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' }),
    departmentId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    roles: Type.Optional(RoleList),
  },
  { additionalProperties: false },
);

const UserUpdateBody = Type.Object(
  {
    employeeNo: EmployeeNo,
    displayName: Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' }),
    departmentId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);

const StatusBody = Type.Object({ status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]) }, { additionalProperties: false });

const RolesBody = Type.Object({ roles: RoleList }, { additionalProperties: false });

/** 用户管理 and the department tree. The service checks which admin may do what. */
export async function userRoutes(app: AppInstance): Promise<void> {
  const { users } = app.services;

  app.get('/api/departments', async (request) => {
    requireUser(request);
    return users.departmentTree();
  });

  app.post('/api/departments', { schema: { body: DepartmentBody } }, async (request, reply) => {
    const user = requireUser(request);
    const id = await users.createDepartment({ user, clientIp: request.ip }, request.body.name.trim(), request.body.parentId);
    reply.code(201);
    return { id };
  });

  app.put('/api/departments/:id', { schema: { params: IdParams, body: DepartmentBody } }, async (request, reply) => {
    const user = requireUser(request);
    await users.updateDepartment({ user, clientIp: request.ip }, request.params.id, request.body.name.trim(), request.body.parentId);
    reply.code(204);
  });

  app.get('/api/users', { schema: { querystring: UserQuery } }, async (request) => {
    const user = requireUser(request);
    const { displayName, username } = request.query;
    return users.list(user, { ...request.query, displayName: displayName?.trim(), username: username?.trim() });
  });

  app.post('/api/users', { config: { fieldLabels: { employeeNo: '工号' } }, schema: { body: UserBody } }, async (request, reply) => {
    const user = requireUser(request);
    const id = await users.create({ user, clientIp: request.ip }, { ...request.body, displayName: request.body.displayName.trim() });
    reply.code(201);
    return users.view(id);
  });

  app.put('/api/users/:id', { config: { fieldLabels: { employeeNo: '工号' } }, schema: { params: IdParams, body: UserUpdateBody } }, async (request) => {
    const user = requireUser(request);
    await users.update({ user, clientIp: request.ip }, request.params.id, request.body.displayName.trim(), request.body.departmentId, request.body.employeeNo);
    return users.view(request.params.id);
  });

  app.post('/api/users/:id/status', { schema: { params: IdParams, body: StatusBody } }, async (request) => {
    const user = requireUser(request);
    await users.setStatus({ user, clientIp: request.ip }, request.params.id, request.body.status);
    return users.view(request.params.id);
  });

  app.put('/api/users/:id/roles', { schema: { params: IdParams, body: RolesBody } }, async (request) => {
    const user = requireUser(request);
    await users.setRoles({ user, clientIp: request.ip }, request.params.id, request.body.roles);
    return users.view(request.params.id);
  });

  app.post('/api/users/:id/password-reset', { schema: { params: IdParams } }, async (request, reply) => {
    const user = requireUser(request);
    await users.resetPassword({ user, clientIp: request.ip }, request.params.id);
    reply.code(204);
  });

  app.delete('/api/users/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const user = requireUser(request);
    await users.delete({ user, clientIp: request.ip }, request.params.id);
    reply.code(204);
  });
}
