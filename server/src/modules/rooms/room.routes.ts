import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { requireRole } from '../auth/auth.guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const Port = Type.Integer({ minimum: 1, maximum: 65535 });

const RoomBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    sortOrder: Type.Integer({ minimum: 0, maximum: 99999 }),
    area: Type.Optional(Type.Union([Type.String({ maxLength: 50 }), Type.Null()])),
    vendor: Type.Union([Type.Literal('dahua'), Type.Literal('hikvision'), Type.Literal('rtsp')]),
    nvrHost: Type.String({ minLength: 1, maxLength: 253 }),
    nvrHttpPort: Port,
    nvrRtspPort: Port,
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.Optional(Type.String({ maxLength: 128 })),
    deviceType: Type.String({ minLength: 1, maxLength: 50 }),
    channel: Type.Integer({ minimum: 1, maximum: 512 }),
    pcIp: Type.String({ minLength: 1, maxLength: 45 }),
  },
  { additionalProperties: false },
);

const EnabledBody = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });

// roomId lets the edit dialog test with the stored password when the password field is left empty.
const TestBody = Type.Object({ ...RoomBody.properties, roomId: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

export async function roomRoutes(app: AppInstance): Promise<void> {
  const { rooms, audit } = app.services;

  app.get('/api/rooms', { config: { role: 'sysadmin', fieldLabels: { name: '房间名', username: '登录账号', password: '登录密码' } } }, async (request) => {
    requireRole(request, 'sysadmin');
    return rooms.list();
  });

  app.post('/api/rooms', { schema: { body: RoomBody }, config: { role: 'sysadmin', fieldLabels: { name: '房间名', username: '登录账号', password: '登录密码' } } }, async (request, reply) => {
    const user = requireRole(request, 'sysadmin');
    const roomId = await rooms.create(request.body);
    await audit.record({ userId: user.id, username: user.username, clientIp: request.ip, action: 'room.create', targetType: 'room', targetId: roomId, result: 'success' });
    reply.code(201);
    return rooms.view(roomId);
  });

  app.put('/api/rooms/:id', { schema: { params: IdParams, body: RoomBody }, config: { role: 'sysadmin', fieldLabels: { name: '房间名', username: '登录账号', password: '登录密码' } } }, async (request) => {
    const user = requireRole(request, 'sysadmin');
    await rooms.update(request.params.id, request.body);
    await audit.record({
      userId: user.id,
      username: user.username,
      clientIp: request.ip,
      action: 'room.update',
      targetType: 'room',
      targetId: request.params.id,
      result: 'success',
      details: { passwordChanged: Boolean(request.body.password) },
    });
    return rooms.view(request.params.id);
  });

  app.post('/api/rooms/:id/enabled', { schema: { params: IdParams, body: EnabledBody }, config: { role: 'sysadmin', fieldLabels: { name: '房间名', username: '登录账号', password: '登录密码' } } }, async (request) => {
    const user = requireRole(request, 'sysadmin');
    await rooms.setEnabled(request.params.id, request.body.enabled);
    await audit.record({
      userId: user.id,
      username: user.username,
      clientIp: request.ip,
      action: request.body.enabled ? 'room.enable' : 'room.disable',
      targetType: 'room',
      targetId: request.params.id,
      result: 'success',
    });
    return rooms.view(request.params.id);
  });

  app.post('/api/rooms/:id/test', { schema: { params: IdParams }, config: { role: 'sysadmin', fieldLabels: { name: '房间名', username: '登录账号', password: '登录密码' } } }, async (request) => {
    requireRole(request, 'sysadmin');
    const result = await rooms.testSaved(request.params.id);
    return { ok: result.reachable && result.authenticated, ...result };
  });

  app.post('/api/rooms/test', { schema: { body: TestBody }, config: { role: 'sysadmin', fieldLabels: { name: '房间名', username: '登录账号', password: '登录密码' } } }, async (request) => {
    requireRole(request, 'sysadmin');
    const result = await rooms.testUnsaved(request.body, request.body.roomId ?? null);
    return { ok: result.reachable && result.authenticated, ...result };
  });
}
