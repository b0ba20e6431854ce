import type { Db } from '../../db/database.js';
import type { NewRoom, RoomRow, RoomUpdate } from '../../db/schema.js';

export class RoomRepository {
  constructor(private readonly db: Db) {}

  async list(): Promise<(RoomRow & { busy: number })[]> {
    const rows = await this.db.kysely
      .selectFrom('rooms')
      .selectAll('rooms')
      .select((eb) =>
        eb
          .selectFrom('recording_sessions')
          .whereRef('recording_sessions.room_id', '=', 'rooms.id')
          .where('recording_sessions.state', '=', 'recording')
          .select((inner) => inner.fn.countAll<number>().as('n'))
          .as('busy'),
      )
      .orderBy('sort_order')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ ...row, busy: Number(row.busy ?? 0) }));
  }

  async findById(roomId: number): Promise<RoomRow | undefined> {
    return this.db.kysely.selectFrom('rooms').selectAll().where('id', '=', roomId).executeTakeFirst();
  }

  async findByPcIp(pcIp: string): Promise<RoomRow | undefined> {
    return this.db.kysely.selectFrom('rooms').selectAll().where('pc_ip', '=', pcIp).orderBy('id').executeTakeFirst();
  }

  async insert(values: NewRoom): Promise<number> {
    const row = await this.db.kysely.insertInto('rooms').values(values).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  async update(roomId: number, values: RoomUpdate): Promise<void> {
    await this.db.kysely.updateTable('rooms').set(values).where('id', '=', roomId).execute();
  }
}
