import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import path from 'node:path';
import { rm, stat } from 'node:fs/promises';
import { moveIntoPlace, writeStreamHashed } from '../../adapters/storage/hashed-write.js';
import type { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Db } from '../../db/database.js';
import type { DossierFileRow } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { CaseService } from '../cases/case.service.js';
import { contentTypeOfFileName, extensionOf } from '../documents/document-types.js';
import { INCOMING_DIR } from '../documents/document.service.js';

export interface DossierFileView {
  id: number;
  caseId: number;
  name: string;
  folderPath: string;
  size: number;
  sha256: string;
  sm3: string;
  source: string;
  fetchedAt: string;
}

export interface NewDossierFile {
  caseId: number;
  name: string;
  /** Folder in the dossier tree, segments joined by '/'. */
  folderPath: string;
  source: string;
  content: Buffer | AsyncIterable<Buffer>;
  fetchedAt?: string;
}

/** `source` of files fetched from 大统一2.0. */
export const UNIFIED_SOURCE = '大统一2.0';

/** The downloaded bytes do not match the SHA-256 the dossier tree announced. */
export class DossierHashMismatchError extends Error {
  constructor(fileId: string, expected: string, actual: string) {
    super(`卷宗文件 ${fileId} 的 SHA-256 校验失败（应为 ${expected.slice(0, 12)}…，实际 ${actual.slice(0, 12)}…）。`);
    this.name = 'DossierHashMismatchError';
  }
}

/** Dossier files carry no per-upload limit of their own; this only stops a runaway source from filling the disk. */
const MAX_DOSSIER_FILE_BYTES = 4 * 1024 * 1024 * 1024;

/** 电子卷宗: the case's dossier files, stored and hashed like other files, visible to every user who may see the case. */
export class DossierService {
  constructor(
    private readonly db: Db,
    private readonly caseService: CaseService,
    private readonly storage: StorageLayout,
  ) {}

  /** Stores one dossier file for a case. Callers are the case-system import and the demo seed, not users. */
  async add(input: NewDossierFile): Promise<DossierFileView> {
    const folderPath = normalizeFolderPath(input.folderPath);
    const source = Buffer.isBuffer(input.content) ? Readable.from([input.content]) : input.content;
    const written = await writeStreamHashed(source, path.join(this.storage.dataDir, INCOMING_DIR), MAX_DOSSIER_FILE_BYTES);

    const extension = extensionOf(input.name);
    const relativePath = path.join('dossier', String(input.caseId), `${randomUUID()}${extension ? `.${extension}` : ''}`);
    await moveIntoPlace(written.temporaryPath, this.storage.absolute(relativePath));

    const now = nowIso();
    const inserted = await this.db.kysely
      .insertInto('dossier_files')
      .values({
        case_id: input.caseId,
        name: input.name,
        folder_path: folderPath,
        stored_path: relativePath,
        size: written.size,
        sha256: written.sha256,
        sm3: written.sm3,
        source: input.source,
        fetched_at: input.fetchedAt ?? now,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDossierView(inserted);
  }

  /**
   * Stores a 大统一2.0 dossier file after checking its SHA-256 against the tree, and marks the earlier versions with
   * the same 文件编号 superseded. Returns null when this version or a newer one is already stored, because a
   * download can finish after the download of a later version.
   */
  async addUnifiedVersion(input: Omit<NewDossierFile, 'source'> & { externalId: string; sha256: string; versionAt: string }): Promise<DossierFileView | null> {
    const source = Buffer.isBuffer(input.content) ? Readable.from([input.content]) : input.content;
    const written = await writeStreamHashed(source, path.join(this.storage.dataDir, INCOMING_DIR), MAX_DOSSIER_FILE_BYTES);
    if (written.sha256 !== input.sha256.toLowerCase()) {
      await rm(written.temporaryPath, { force: true });
      throw new DossierHashMismatchError(input.externalId, input.sha256, written.sha256);
    }

    const extension = extensionOf(input.name);
    const relativePath = path.join('dossier', String(input.caseId), `${randomUUID()}${extension ? `.${extension}` : ''}`);
    await moveIntoPlace(written.temporaryPath, this.storage.absolute(relativePath));

    const now = nowIso();
    const inserted = await this.db.kysely.transaction().execute(async (trx) => {
      const newer = await trx
        .selectFrom('dossier_files')
        .select('id')
        .where('case_id', '=', input.caseId)
        .where('external_id', '=', input.externalId)
        .where('version_at', '>', input.versionAt)
        .executeTakeFirst();
      if (newer) return undefined;
      const row = await trx
        .insertInto('dossier_files')
        .values({
          case_id: input.caseId,
          name: input.name,
          folder_path: normalizeFolderPath(input.folderPath),
          stored_path: relativePath,
          size: written.size,
          sha256: written.sha256,
          sm3: written.sm3,
          source: UNIFIED_SOURCE,
          external_id: input.externalId,
          version_at: input.versionAt,
          fetched_at: now,
          created_at: now,
        })
        .onConflict((conflict) => conflict.columns(['case_id', 'external_id', 'sha256']).where('external_id', 'is not', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) {
        await trx
          .updateTable('dossier_files')
          .set({ superseded_at: now })
          .where('case_id', '=', input.caseId)
          .where('external_id', '=', input.externalId)
          .where('id', '!=', row.id)
          .where('superseded_at', 'is', null)
          .execute();
      }
      return row;
    });
    if (!inserted) {
      await rm(this.storage.absolute(relativePath), { force: true });
      return null;
    }
    return toDossierView(inserted);
  }

  /** Returns whether a version of the 大统一2.0 file newer than `versionAt` is stored for the case. */
  async hasNewerUnifiedVersion(caseId: number, externalId: string, versionAt: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('dossier_files')
      .select('id')
      .where('case_id', '=', caseId)
      .where('external_id', '=', externalId)
      .where('version_at', '>', versionAt)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Returns whether this version of a 大统一2.0 file is stored for the case. */
  async hasUnifiedVersion(caseId: number, externalId: string, sha256: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('dossier_files')
      .select('id')
      .where('case_id', '=', caseId)
      .where('external_id', '=', externalId)
      .where('sha256', '=', sha256.toLowerCase())
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(user: AuthUser, caseId: number): Promise<DossierFileView[]> {
    await this.caseService.getVisible(user, caseId);
    const rows = await this.db.kysely
      .selectFrom('dossier_files')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('superseded_at', 'is', null)
      .orderBy('folder_path')
      .orderBy('name')
      .orderBy('id')
      .execute();
    return rows.map(toDossierView);
  }

  /** Returns the file for download, or FILE_NOT_FOUND when it does not exist or the user may not see its case. */
  async open(user: AuthUser, fileId: number): Promise<{ file: DossierFileRow; absolutePath: string; size: number; contentType: string }> {
    const row = await this.db.kysely
      .selectFrom('dossier_files')
      .innerJoin('cases', 'cases.id', 'dossier_files.case_id')
      .selectAll('dossier_files')
      .select(['cases.handler_id', 'cases.id as access_case_id'])
      .where('dossier_files.id', '=', fileId)
      .executeTakeFirst();
    if (!row || !(await this.caseService.canView(user, { id: row.access_case_id, handler_id: row.handler_id }))) throw new AppError('FILE_NOT_FOUND');

    const absolutePath = this.storage.absolute(row.stored_path);
    const info = await stat(absolutePath).catch(() => null);
    if (!info || info.size !== Number(row.size)) throw new AppError('INTERNAL', '存储中的卷宗文件缺失或大小与登记不符，请联系系统管理员校验存储。');
    return { file: row, absolutePath, size: info.size, contentType: contentTypeOfFileName(row.name) ?? 'application/octet-stream' };
  }
}

function normalizeFolderPath(folderPath: string): string {
  return folderPath.split('/').map((segment) => segment.trim()).filter(Boolean).join('/');
}

function toDossierView(row: DossierFileRow): DossierFileView {
  return {
    id: row.id,
    caseId: row.case_id,
    name: row.name,
    folderPath: row.folder_path,
    size: Number(row.size),
    sha256: row.sha256,
    sm3: row.sm3,
    source: row.source,
    fetchedAt: row.fetched_at,
  };
}
