import { Type } from '@sinclair/typebox';
import type { AppInstance } from '../../app.types.js';
import { AppError } from '../../lib/errors.js';
import { requireUser } from '../auth/auth.guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export async function liveRoutes(app: AppInstance): Promise<void> {
  const { live, sessions } = app.services;

  app.get(
    '/api/rooms/:id/live',
    {
      websocket: true,
      schema: { params: IdParams },
      // Checked before the upgrade, so a refused viewer gets a plain HTTP error and no socket.
      preValidation: async (request) => {
        const user = requireUser(request);
        const { id } = request.params as { id: number };
        if (!(await sessions.canWatchRoom(user, request.ip, Number(id)))) throw new AppError('ROOM_NOT_FOUND');
      },
    },
    async (socket, request) => {
      const roomId = request.params.id;
      let detach: (() => void) | undefined;
      socket.on('close', () => detach?.());
      try {
        detach = await live.addViewer(roomId, {
          sendText: (message) => socket.readyState === socket.OPEN && socket.send(message),
          sendBinary: (data) => socket.readyState === socket.OPEN && socket.send(data, { binary: true }),
          close: () => socket.close(),
          bufferedBytes: () => socket.bufferedAmount,
        });
        if (socket.readyState !== socket.OPEN) detach();
      } catch (error) {
        request.log.warn({ err: error, roomId }, 'live view could not start');
        socket.send(JSON.stringify({ type: 'error', message: '无法打开实时画面，请检查房间的硬盘录像机设置。' }));
        socket.close();
      }
    },
  );
}
