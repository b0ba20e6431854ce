import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database, DeliveryRow } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';
import type { PackageMediaFile, PackageSource, PlannedPackage } from './delivery-manifest.js';

export type DeliverySortKey = 'createdAt' | 'updatedAt' | 'packageId' | 'bytesTotal' | 'state';

export interface DeliveryListFilter {
  state?: string;
  caseName?: string;
  caseNumber?: string;
  sortBy: DeliverySortKey;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export interface DeliveryListRow extends DeliveryRow {
  case_id: number;
  case_name: string;
  case_number: string;
  case_handler_id: number;
  suspect_name: string;
}

export interface DeliveryFileSource {
  position: number;
  path: string;
  size: number;
  sha256: string;
  stored_path: string;
}

const sortColumns: Record<DeliverySortKey, 'd.created_at' | 'd.updated_at' | 'd.package_id' | 'd.bytes_total' | 'd.state'> = {
  createdAt: 'd.created_at',
  updatedAt: 'd.updated_at',
  packageId: 'd.package_id',
  bytesTotal: 'd.bytes_total',
  state: 'd.state',
};

type Executor = Kysely<Database> | Transaction<Database>;

/** Reads and writes of deliveries and their files. Writes that belong to another transaction take it as `trx`. */
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  /** Returns the session's data for a manifest, or undefined when the session does not exist. */
  async findPackageSource(trx: Executor, sessionId: number): Promise<(PackageSource & { uploadToYibanan: boolean }) | undefined> {
    const row = await trx
      .selectFrom('recording_sessions as s')
      .innerJoin('cases', 'cases.id', 's.case_id')
      .innerJoin('suspects', 'suspects.id', 's.suspect_id')
      .innerJoin('users', 'users.id', 's.operator_id')
      .leftJoin('rooms', 'rooms.id', 's.room_id')
      .select([
        's.id',
        's.started_at',
        's.ended_at',
        's.upload_to_yibanan',
        'cases.case_number',
        'cases.unified_number',
        'cases.name as case_name',
        'cases.category',
        'suspects.name as suspect_name',
        'suspects.id_type_code',
        'suspects.id_type_name',
        'suspects.id_number',
        'rooms.name as room_name',
        'users.display_name',
        'users.username',
        'users.employee_no',
      ])
      .where('s.id', '=', sessionId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      sessionId: row.id,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      uploadToYibanan: row.upload_to_yibanan === 1,
      caseNumber: row.case_number,
      unifiedNumber: row.unified_number,
      caseName: row.case_name,
      category: row.category,
      suspectName: row.suspect_name,
      idTypeCode: row.id_type_code,
      idTypeName: row.id_type_name,
      idNumber: row.id_number,
      roomName: row.room_name,
      operatorName: row.display_name,
      operatorUsername: row.username,
      operatorEmployeeNo: row.employee_no,
    };
  }

  async listForSession(trx: Executor, sessionId: number): Promise<DeliveryRow[]> {
    return trx.selectFrom('deliveries').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute();
  }

  /** Returns the session's videos and documents, or with `onlyUnpackaged` only the documents that no package of the session lists yet. */
  async listSessionFiles(trx: Executor, sessionId: number, onlyUnpackaged: boolean): Promise<PackageMediaFile[]> {
    let query = trx
      .selectFrom('media_files as m')
      .select(['m.id', 'm.kind', 'm.file_name', 'm.size', 'm.sha256', 'm.sm3'])
      .where('m.session_id', '=', sessionId)
      .where('m.kind', 'in', onlyUnpackaged ? ['document'] : ['video', 'document']);
    if (onlyUnpackaged) {
      query = query.where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('delivery_files as f')
              .innerJoin('deliveries as d', 'd.id', 'f.delivery_id')
              .select('f.id')
              .whereRef('f.media_file_id', '=', 'm.id')
              .where('d.session_id', '=', sessionId),
          ),
        ),
      );
    }
    const rows = await query.orderBy('m.id').execute();
    return rows.map((row) => ({ id: row.id, kind: row.kind as 'video' | 'document', fileName: row.file_name, size: Number(row.size), sha256: row.sha256, sm3: row.sm3 }));
  }

  /** Inserts a package with its files; returns its id, or undefined when the package id is taken already. */
  async insertPackage(trx: Executor, sessionId: number, planned: PlannedPackage, mode: string, state: string): Promise<number | undefined> {
    const now = nowIso();
    const inserted = await trx
      .insertInto('deliveries')
      .values({
        session_id: sessionId,
        package_id: planned.packageId,
        kind: planned.kind,
        seq: planned.seq,
        follows_package_id: planned.followsPackageId,
        mode,
        state,
        manifest: planned.manifest,
        manifest_sha256: planned.manifestSha256,
        bytes_total: planned.bytesTotal,
        last_error: null,
        receipt_id: null,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      })
      .onConflict((conflict) => conflict.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return undefined;
    if (planned.files.length > 0) {
      await trx
        .insertInto('delivery_files')
        .values(planned.files.map((file) => ({ delivery_id: inserted.id, media_file_id: file.mediaFileId, position: file.position, path: file.path, kind: file.kind, size: file.size, sha256: file.sha256, sm3: file.sm3 })))
        .execute();
    }
    return inserted.id;
  }

  async find(deliveryId: number): Promise<DeliveryListRow | undefined> {
    return this.listQuery().where('d.id', '=', deliveryId).executeTakeFirst();
  }

  async listFileSources(deliveryId: number): Promise<DeliveryFileSource[]> {
    const rows = await this.db.kysely
      .selectFrom('delivery_files as f')
      .innerJoin('media_files as m', 'm.id', 'f.media_file_id')
      .select(['f.position', 'f.path', 'f.size', 'f.sha256', 'm.stored_path'])
      .where('f.delivery_id', '=', deliveryId)
      .orderBy('f.position')
      .execute();
    return rows.map((row) => ({ ...row, size: Number(row.size) }));
  }

  async list(filter: DeliveryListFilter): Promise<{ rows: DeliveryListRow[]; total: number }> {
    let query = this.listQuery();
    if (filter.state) query = query.where('d.state', '=', filter.state);
    if (filter.caseName) query = query.where(sql`cases.name`, 'like', sql`${likePattern(filter.caseName)} escape '\\'`);
    if (filter.caseNumber) query = query.where(sql`cases.case_number`, 'like', sql`${likePattern(filter.caseNumber)} escape '\\'`);
    const counted = await query
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    const rows = await query.orderBy(sortColumns[filter.sortBy], filter.order).orderBy('d.id', filter.order).offset(filter.offset).limit(filter.limit).execute();
    return { rows, total: Number(counted.count) };
  }

  async listForSessions(sessionIds: number[]): Promise<DeliveryRow[]> {
    if (sessionIds.length === 0) return [];
    return this.db.kysely.selectFrom('deliveries').selectAll().where('session_id', 'in', sessionIds).orderBy('session_id').orderBy('seq').execute();
  }

  async countSending(): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('state', 'in', ['queued', 'retrying', 'sending'])
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async update(trx: Executor, deliveryId: number, values: Partial<Pick<DeliveryRow, 'state' | 'bytes_sent' | 'attempts' | 'last_error' | 'receipt_id' | 'delivered_at'>>): Promise<void> {
    await trx
      .updateTable('deliveries')
      .set({ ...values, updated_at: nowIso() })
      .where('id', '=', deliveryId)
      .execute();
  }

  /** Saves transfer progress without touching a package that another run already finished. */
  async saveProgress(deliveryId: number, bytesSent: number): Promise<void> {
    await this.db.kysely
      .updateTable('deliveries')
      .set({ bytes_sent: bytesSent, updated_at: nowIso() })
      .where('id', '=', deliveryId)
      .where('state', '=', 'sending')
      .execute();
  }

  private listQuery() {
    return this.db.kysely
      .selectFrom('deliveries as d')
      .innerJoin('recording_sessions as s', 's.id', 'd.session_id')
      .innerJoin('cases', 'cases.id', 's.case_id')
      .innerJoin('suspects', 'suspects.id', 's.suspect_id')
      .selectAll('d')
      .select(['cases.id as case_id', 'cases.name as case_name', 'cases.case_number', 'cases.handler_id as case_handler_id', 'suspects.name as suspect_name']);
  }
}

/** Returns a LIKE pattern that matches the text anywhere, with %, _ and backslash matched literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
