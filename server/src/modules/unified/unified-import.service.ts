import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import { EXAMPLE_ROW_REASON, isExampleCaseNumber, normalizeUnifiedCaseNumber } from './unified-record.js';
import type { UnifiedSyncRepository } from './unified-sync.repository.js';
import { prepareRecords, REJECTED_ROWS_SHOWN, toRejectedRowView, toRunView, type RejectedRowView, type RunView } from './unified-sync.service.js';
import { CASE_SHEET, readWorkbook, SUSPECT_SHEET, WorkbookError } from './unified-workbook.js';
import { recordBatch, UnifiedWriter, type RejectedRow } from './unified-writer.js';

function sheetOrder(sheet: string | null | undefined): number {
  if (sheet === CASE_SHEET) return 0;
  if (sheet === SUSPECT_SHEET) return 1;
  return 2;
}

/** Records applied per transaction, so a large file does not hold the database for long. */
const BATCH_SIZE = 200;

export interface ImportReport {
  run: RunView;
  rows: RejectedRowView[];
  /** Number of rejected rows of the run; `rows` contains at most REJECTED_ROWS_SHOWN of them. */
  totalRows: number;
}

interface ParsedFile {
  items: unknown[];
  place: (index: number, suspectIndex?: number) => { sheet: string | null; rowNumber: number | null };
  rejected: RejectedRow[];
  /** Rows of the 嫌疑人 sheet rejected before validation. */
  rejectedSuspects: number;
}

/** File import (sites without the HTTP interface): a JSON file `{ cases: [...] }` or the .xlsx template. */
export class UnifiedImportService {
  constructor(
    private readonly repository: UnifiedSyncRepository,
    private readonly audit: AuditService,
    readonly maxBytes: number,
    private readonly unitCode: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Reads an upload stream into memory, rejecting it as soon as it exceeds the size limit. */
  async readUpload(body: AsyncIterable<Buffer>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxBytes) throw this.tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  tooLarge(): AppError {
    const limit = this.maxBytes >= 1024 * 1024 ? `${Math.floor(this.maxBytes / 1024 / 1024)} MB` : `${Math.floor(this.maxBytes / 1024)} KB`;
    return new AppError('IMPORT_FILE_TOO_LARGE', `导入文件过大，最大 ${limit}，请拆分后分批导入。`);
  }

  /**
   * Reads an upload and imports it. A file rejected as a whole (too large, empty, unreadable, no cases) is
   * audited as a failed unified.import before the error reaches the caller.
   */
  async importUpload(user: AuthUser, clientIp: string, fileName: string, declaredLength: number, body: AsyncIterable<Buffer>): Promise<ImportReport> {
    try {
      if (declaredLength > this.maxBytes) throw this.tooLarge();
      const content = await this.readUpload(body);
      return await this.importFile(user, clientIp, fileName, content);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'IMPORT_FILE_INVALID' || error.code === 'IMPORT_FILE_TOO_LARGE')) {
        await this.audit.record({
          userId: user.id,
          username: user.username,
          clientIp,
          action: 'unified.import',
          result: 'failure',
          details: { fileName, reason: error.message },
        });
      }
      throw error;
    }
  }

  /** Validates every row, imports the valid ones with the sync rules and returns the run with its row report. */
  async importFile(user: AuthUser, clientIp: string, fileName: string, content: Buffer): Promise<ImportReport> {
    if (content.length === 0) throw new AppError('IMPORT_FILE_INVALID', '导入文件内容为空，请重新选择文件。');
    const { items, place, rejected, rejectedSuspects: orphanSuspects } = await this.readContent(fileName, content);
    if (items.length === 0) throw new AppError('IMPORT_FILE_INVALID', '文件中没有案件，请填写案件后重新导入。');

    const now = nowIso();
    const runId = await this.repository.db.kysely.transaction().execute((trx) => this.repository.insertRun(trx, 'file', user.id, fileName.slice(0, 200), now));
    const placeholderId = await this.repository.placeholderUserId();
    try {
      const prepared = prepareRecords(items, { place, source: 'file', unitCode: this.unitCode, rejectDuplicates: true });
      const toApply = prepared.toApply;
      rejected.push(...prepared.rejected);
      // The report reads top to bottom: the 案件 sheet, then the 嫌疑人 sheet, each by row.
      rejected.sort((a, b) => sheetOrder(a.sheet) - sheetOrder(b.sheet) || (a.rowNumber ?? 0) - (b.rowNumber ?? 0));
      // The first batch carries the rows rejected before applying, with their counts.
      let pending = rejected;
      for (let index = 0; index < Math.max(1, toApply.length); index += BATCH_SIZE) {
        const batch = toApply.slice(index, index + BATCH_SIZE);
        const isFirst = index === 0;
        await this.repository.db.kysely.transaction().execute(async (trx) => {
          const result = await new UnifiedWriter(trx, placeholderId, nowIso()).apply(batch);
          const counts = {
            ...result.counts,
            fetched: isFirst ? items.length : 0,
            rejected: result.counts.rejected + (isFirst ? prepared.rejectedCases : 0),
            rejectedSuspects: isFirst ? prepared.rejectedSuspects + orphanSuspects : 0,
          };
          await recordBatch(trx, runId, counts, [...pending, ...result.rejected]);
        });
        pending = [];
      }
      await this.repository.rematchHandlers(nowIso());
    } catch (error) {
      this.log.error({ err: error, runId }, 'file import failed');
      await this.repository.finishRun(runId, 'failed', '导入时发生内部错误，请查看服务器日志。', nowIso());
      throw error;
    }
    await this.repository.finishRun(runId, 'succeeded', null, nowIso());

    const run = await this.repository.findRun(runId);
    if (!run) throw new AppError('INTERNAL');
    await this.audit.record({
      userId: user.id,
      username: user.username,
      clientIp,
      action: 'unified.import',
      targetType: 'unified_sync_run',
      targetId: runId,
      result: 'success',
      details: {
        fileName,
        fetched: run.fetched,
        created: run.created,
        updated: run.updated,
        deleted: run.deleted,
        rejected: run.rejected,
        rejectedSuspects: run.rejected_suspects,
      },
    });
    const { rows, total } = await this.repository.listRejected(runId, REJECTED_ROWS_SHOWN);
    return { run: toRunView({ ...run, triggered_by_name: user.displayName }), rows: rows.map(toRejectedRowView), totalRows: total };
  }

  /**
   * Reads the file by its content and name: a ZIP container is read as the .xlsx template, a .json name or a
   * body starting with `{` as JSON, anything else is rejected naming the accepted formats.
   */
  private async readContent(fileName: string, content: Buffer): Promise<ParsedFile> {
    const isZip = content[0] === 0x50 && content[1] === 0x4b;
    const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';
    if (isZip) return this.fromWorkbook(content);
    if (extension === 'xlsx') throw new AppError('IMPORT_FILE_INVALID', 'Excel 文件无法读取，请确认文件由下载的模板填写并另存为 .xlsx 格式。');
    const looksLikeJson = /^\s*[[{]/.test(content.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''));
    if (extension === 'json' || looksLikeJson) return this.fromJson(content);
    throw new AppError('IMPORT_FILE_INVALID', `仅支持 JSON（.json）或 Excel（.xlsx）文件，“${fileName.slice(0, 60)}”不是这两种格式。`);
  }

  private fromJson(content: Buffer): ParsedFile {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
    } catch {
      throw new AppError('IMPORT_FILE_INVALID', 'JSON 文件格式不正确，无法解析。请检查文件是否完整；仅支持 JSON（.json）或 Excel（.xlsx）文件。');
    }
    const cases = (parsed as { cases?: unknown } | null)?.cases;
    if (!Array.isArray(cases)) throw new AppError('IMPORT_FILE_INVALID', 'JSON 文件中缺少 cases 数组，格式应为 { "cases": [ … ] }。');
    return {
      items: cases as unknown[],
      place: (index: number) => ({ sheet: null, rowNumber: index + 1 }),
      rejected: [] as RejectedRow[],
      rejectedSuspects: 0,
    };
  }

  private async fromWorkbook(content: Buffer): Promise<ParsedFile> {
    let workbook;
    try {
      workbook = await readWorkbook(content);
    } catch (error) {
      if (error instanceof WorkbookError) throw new AppError('IMPORT_FILE_INVALID', error.message);
      throw error;
    }

    const rejected: RejectedRow[] = [];
    // NOTE: a row without 更新时间 counts as changed now, so a later HTTP pull ignores 2.0 records of that case
    // updated before the import. Sites are expected to use either the file import or the HTTP pull.
    const caseRows = workbook.cases.map((row) => ({ ...row, values: { gxsj: nowIso(), ...row.values } as Record<string, unknown> }));
    const byNumber = new Map<string, (typeof caseRows)[number]>();
    for (const row of caseRows) {
      const number = typeof row.values.bmsah === 'string' ? normalizeUnifiedCaseNumber(row.values.bmsah) : '';
      // A repeated 部门受案号 is rejected later; its suspects stay with the first row.
      if (number && !byNumber.has(number)) byNumber.set(number, row);
      row.values.xyr = [];
    }

    // Suspects are checked within their case; these row numbers send a suspect's rejection to its own sheet row.
    const suspectRows = new Map<number, number[]>();
    let rejectedSuspects = 0;
    for (const row of workbook.suspects) {
      const number = row.values.bmsah ? normalizeUnifiedCaseNumber(String(row.values.bmsah)) : '';
      const caseRow = byNumber.get(number);
      if (!caseRow && isExampleCaseNumber(number)) {
        // The example suspect left behind after the example case row was deleted is no real suspect to count.
        rejected.push({ sheet: SUSPECT_SHEET, rowNumber: row.rowNumber, reference: number, field: 'bmsah', reason: EXAMPLE_ROW_REASON });
        continue;
      }
      if (!caseRow) {
        rejected.push({
          sheet: SUSPECT_SHEET,
          rowNumber: row.rowNumber,
          reference: number || '（无部门受案号）',
          field: 'bmsah',
          reason: number ? '“案件”表中没有该部门受案号，嫌疑人未导入。' : '缺少部门受案号。',
        });
        rejectedSuspects += 1;
        continue;
      }
      const { bmsah: _bmsah, ...suspect } = row.values;
      (caseRow.values.xyr as unknown[]).push(suspect);
      suspectRows.set(caseRow.rowNumber, [...(suspectRows.get(caseRow.rowNumber) ?? []), row.rowNumber]);
    }

    return {
      items: caseRows.map((row) => row.values),
      place: (index: number, suspectIndex?: number) => {
        const caseRowNumber = caseRows[index]?.rowNumber ?? null;
        if (suspectIndex === undefined || caseRowNumber === null) return { sheet: CASE_SHEET, rowNumber: caseRowNumber };
        return { sheet: SUSPECT_SHEET, rowNumber: suspectRows.get(caseRowNumber)?.[suspectIndex] ?? null };
      },
      rejected,
      rejectedSuspects,
    };
  }
}
