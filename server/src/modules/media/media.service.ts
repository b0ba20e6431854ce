import { stat } from 'node:fs/promises';
import type { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Db } from '../../db/database.js';
import type { MediaFileRow } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { CaseService } from '../cases/case.service.js';
import { contentTypeOfFileName } from '../documents/document-types.js';

const contentTypes: Record<string, string> = {
  video: 'video/mp4',
  manifest: 'application/json; charset=utf-8',
};

/** Access to archived files: only people who may see the file's case get it, everyone else "not found". */
export class MediaService {
  constructor(
    private readonly db: Db,
    private readonly caseService: CaseService,
    private readonly storage: StorageLayout,
  ) {}

  async open(user: AuthUser, fileId: number): Promise<{ file: MediaFileRow; absolutePath: string; size: number; contentType: string; caseId: number }> {
    const row = await this.db.kysely
      .selectFrom('media_files')
      .innerJoin('recording_sessions', 'recording_sessions.id', 'media_files.session_id')
      .innerJoin('cases', 'cases.id', 'recording_sessions.case_id')
      .selectAll('media_files')
      .select(['cases.handler_id', 'cases.id as case_id'])
      .where('media_files.id', '=', fileId)
      .executeTakeFirst();
    if (!row || !(await this.caseService.canView(user, { id: row.case_id, handler_id: row.handler_id }))) throw new AppError('FILE_NOT_FOUND');

    const absolutePath = this.storage.absolute(row.stored_path);
    const info = await stat(absolutePath).catch(() => null);
    // A file in the database but not on disk is a storage fault, not a user error: report it as such.
    if (!info || info.size !== Number(row.size)) throw new AppError('INTERNAL', '存储中的文件缺失或大小与登记不符，请联系系统管理员校验存储。');
    return { file: row, absolutePath, size: info.size, contentType: contentTypes[row.kind] ?? contentTypeOfFileName(row.file_name) ?? 'application/octet-stream', caseId: row.case_id };
  }
}
