import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileTooLargeError, moveIntoPlace, writeStreamHashed, type HashedTempFile } from '../../adapters/storage/hashed-write.js';
import type { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Db } from '../../db/database.js';
import type { CaseDocumentRow, MediaFileRow } from '../../db/schema.js';
import { AppError, invalid } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { CaseService } from '../cases/case.service.js';
import type { SessionService } from '../sessions/session.service.js';
import { contentTypeOfFileName, detectDocumentType, documentTypes, extensionOf } from './document-types.js';

export interface DocumentView {
  id: number;
  sessionId: number;
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
  /** True for 资料补充: added after the session ended. */
  isAddition: boolean;
  createdBy: string | null;
  createdAt: string;
}

export interface SessionDocuments {
  /** Documents uploaded while the session was recording (上传文书). */
  documents: DocumentView[];
  /** Documents added after the session ended (资料补充). */
  additions: DocumentView[];
}

/** A document added to a case as a whole (资料补充 without a session). */
export interface CaseDocumentView {
  id: number;
  caseId: number;
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
  createdBy: string | null;
  createdAt: string;
}

/** Receives each 资料补充 document once it is stored, to send it on to 易办案. */
export interface AdditionListener {
  onDocumentAdded(sessionId: number): Promise<void>;
}

const MAX_FILE_NAME_LENGTH = 200;

/**
 * Folder of files still being received, relative to the data folder. It is kept apart from work/, which the
 * archive jobs clear, and files move from here into place by rename on the same disk.
 */
export const INCOMING_DIR = 'incoming';

/**
 * 上传文书 and 资料补充: documents stored with a recording session. A file is written under a temporary
 * name while SHA-256 and SM3 are computed, checked by its first bytes, moved into place and never modified.
 * Uploads during recording are the session's documents; later uploads are recorded as additions.
 */
export class DocumentService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionService,
    private readonly caseService: CaseService,
    private readonly storage: StorageLayout,
    private readonly audit: AuditService,
    private readonly maxBytes: number,
    private readonly additions: AdditionListener,
  ) {}

  get maxDocumentBytes(): number {
    return this.maxBytes;
  }

  async upload(user: AuthUser, clientIp: string, sessionId: number, fileName: string, body: AsyncIterable<Buffer>): Promise<DocumentView> {
    const session = await this.sessions.getVisible(user, sessionId);
    const { written, cleanName, extension } = await this.receive(fileName, body);

    const isAddition = session.state !== 'recording';
    const relativePath = path.join('documents', String(session.case_id), String(session.id), `${randomUUID()}.${extension}`);
    await moveIntoPlace(written.temporaryPath, this.storage.absolute(relativePath));

    const now = nowIso();
    const inserted = await this.db.kysely
      .insertInto('media_files')
      .values({
        session_id: session.id,
        kind: 'document',
        file_name: cleanName,
        stored_path: relativePath,
        size: written.size,
        sha256: written.sha256,
        sm3: written.sm3,
        duration_ms: null,
        codec: null,
        width: null,
        height: null,
        created_by: user.id,
        created_at: now,
        is_addition: isAddition ? 1 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: isAddition ? 'document.addition' : 'document.upload',
      targetType: 'media_file',
      targetId: inserted.id,
      result: 'success',
      details: { caseId: session.case_id, sessionId: session.id, fileName: cleanName, size: written.size, sha256: written.sha256 },
    });
    if (isAddition) await this.additions.onDocumentAdded(session.id);
    const row = await this.db.kysely.selectFrom('media_files').selectAll().where('id', '=', inserted.id).executeTakeFirstOrThrow();
    return toDocumentView(row, user.displayName);
  }

  /** 资料补充 to a case as a whole, for material that belongs to no single session. */
  async uploadToCase(user: AuthUser, clientIp: string, caseId: number, fileName: string, body: AsyncIterable<Buffer>): Promise<CaseDocumentView> {
    await this.caseService.getVisible(user, caseId);
    const { written, cleanName, extension } = await this.receive(fileName, body);
    const relativePath = path.join('documents', String(caseId), 'case', `${randomUUID()}.${extension}`);
    await moveIntoPlace(written.temporaryPath, this.storage.absolute(relativePath));

    const inserted = await this.db.kysely
      .insertInto('case_documents')
      .values({ case_id: caseId, file_name: cleanName, stored_path: relativePath, size: written.size, sha256: written.sha256, sm3: written.sm3, created_by: user.id, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'document.addition',
      targetType: 'case_document',
      targetId: inserted.id,
      result: 'success',
      details: { caseId, fileName: cleanName, size: written.size, sha256: written.sha256 },
    });
    return toCaseDocumentView(inserted, user.displayName);
  }

  async listForCase(user: AuthUser, caseId: number): Promise<CaseDocumentView[]> {
    await this.caseService.getVisible(user, caseId);
    const rows = await this.db.kysely
      .selectFrom('case_documents')
      .leftJoin('users', 'users.id', 'case_documents.created_by')
      .selectAll('case_documents')
      .select('users.display_name as created_by_name')
      .where('case_documents.case_id', '=', caseId)
      .orderBy('case_documents.created_at')
      .orderBy('case_documents.id')
      .execute();
    return rows.map((row) => toCaseDocumentView(row, row.created_by_name));
  }

  /** Returns a case document for download, or FILE_NOT_FOUND when it does not exist or its case is not visible. */
  async openCaseDocument(user: AuthUser, id: number): Promise<{ file: CaseDocumentRow; absolutePath: string; size: number; contentType: string }> {
    const row = await this.db.kysely
      .selectFrom('case_documents')
      .innerJoin('cases', 'cases.id', 'case_documents.case_id')
      .selectAll('case_documents')
      .select(['cases.handler_id', 'cases.id as access_case_id'])
      .where('case_documents.id', '=', id)
      .executeTakeFirst();
    if (!row || !(await this.caseService.canView(user, { id: row.access_case_id, handler_id: row.handler_id }))) throw new AppError('FILE_NOT_FOUND');

    const absolutePath = this.storage.absolute(row.stored_path);
    const info = await stat(absolutePath).catch(() => null);
    if (!info || info.size !== Number(row.size)) throw new AppError('INTERNAL', '存储中的文件缺失或大小与登记不符，请联系系统管理员校验存储。');
    return { file: row, absolutePath, size: info.size, contentType: contentTypeOfFileName(row.file_name) ?? 'application/octet-stream' };
  }

  /**
   * Writes the body to a temporary file while hashing it, then checks its first bytes against the allowed
   * types and the extension. The temporary file is removed when any check fails.
   */
  private async receive(fileName: string, body: AsyncIterable<Buffer>): Promise<{ written: HashedTempFile; cleanName: string; extension: string }> {
    const cleanName = validateFileName(fileName);
    const extension = extensionOf(cleanName);
    const allowedExtensions = Object.values(documentTypes).flatMap((type) => type.extensions);
    if (!allowedExtensions.includes(extension)) throw new AppError('DOCUMENT_TYPE_NOT_ALLOWED');

    const written = await writeStreamHashed(body, path.join(this.storage.dataDir, INCOMING_DIR), this.maxBytes).catch((error: unknown) => {
      if (error instanceof FileTooLargeError) {
        throw new AppError('DOCUMENT_TOO_LARGE', `文件超过 ${formatMegabytes(this.maxBytes)} 的上限，请压缩或拆分后再上传。`);
      }
      throw error;
    });

    try {
      if (written.size === 0) throw new AppError('DOCUMENT_EMPTY');
      const detected = detectDocumentType(written.head);
      if (!detected) throw new AppError('DOCUMENT_TYPE_NOT_ALLOWED', `文件“${cleanName}”的内容不是允许的类型，只能上传 PDF、图片（JPG、PNG、GIF）、Word 文档（doc、docx）或文本文件（txt）。`);
      const type = documentTypes[detected];
      if (!type?.extensions.includes(extension)) {
        throw new AppError('DOCUMENT_TYPE_NOT_ALLOWED', `文件“${cleanName}”的扩展名与内容不符：内容是 ${type?.label ?? detected}，请核对后重新上传。`);
      }
    } catch (error) {
      await rm(written.temporaryPath, { force: true });
      throw error;
    }
    return { written, cleanName, extension };
  }

  async list(user: AuthUser, sessionId: number): Promise<SessionDocuments> {
    await this.sessions.getVisible(user, sessionId);
    const rows = await this.db.kysely
      .selectFrom('media_files')
      .leftJoin('users', 'users.id', 'media_files.created_by')
      .selectAll('media_files')
      .select('users.display_name as created_by_name')
      .where('media_files.session_id', '=', sessionId)
      .where('media_files.kind', '=', 'document')
      .orderBy('media_files.created_at')
      .orderBy('media_files.id')
      .execute();
    const views = rows.map((row) => toDocumentView(row, row.created_by_name));
    return { documents: views.filter((view) => !view.isAddition), additions: views.filter((view) => view.isAddition) };
  }
}

function toCaseDocumentView(row: CaseDocumentRow, createdBy: string | null): CaseDocumentView {
  return { id: row.id, caseId: row.case_id, fileName: row.file_name, size: Number(row.size), sha256: row.sha256, sm3: row.sm3, createdBy, createdAt: row.created_at };
}

function toDocumentView(row: MediaFileRow, createdBy: string | null): DocumentView {
  return {
    id: row.id,
    sessionId: row.session_id,
    fileName: row.file_name,
    size: Number(row.size),
    sha256: row.sha256,
    sm3: row.sm3,
    isAddition: row.is_addition === 1,
    createdBy,
    createdAt: row.created_at,
  };
}

/** Keeps only the base name the browser sent and rejects names that cannot be stored or shown. */
function validateFileName(fileName: string): string {
  const baseName = fileName.split(/[\\/]/).pop()?.trim() ?? '';
  if (!baseName) throw invalid('请填写文件名。');
  if (baseName.length > MAX_FILE_NAME_LENGTH) throw invalid(`文件名不能超过 ${MAX_FILE_NAME_LENGTH} 个字符，请改短后再上传。`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(baseName)) throw invalid('文件名含有控制字符，请改名后再上传。');
  return baseName;
}

function formatMegabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
