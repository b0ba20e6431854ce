import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { auditResultLabels, labelAction, labelRoles } from './audit-actions.js';
import type { AuditEventRow, AuditRepository, AuditSearch } from './audit.repository.js';

/** Rows read per query while exporting, so the export never loads the whole table into memory. */
const EXPORT_BATCH_SIZE = 500;

const headers = ['序号', '时间', '用户名', '姓名', '角色', '客户端IP', '操作', '操作对象类型', '操作对象', '结果', '详情'];

/** Formats an ISO instant as China wall time YYYY-MM-DD HH:mm:ss (UTC+8, no daylight saving). */
export function formatChinaTime(iso: string): string {
  const local = new Date(Date.parse(iso) + 8 * 3_600_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 19)}`;
}

function toCells(row: AuditEventRow): string[] {
  return [
    String(row.seq ?? ''),
    formatChinaTime(row.at),
    row.username ?? '',
    row.display_name ?? '',
    labelRoles(row.role),
    row.client_ip ?? '',
    labelAction(row.action),
    row.target_type ?? '',
    row.target_id ?? '',
    auditResultLabels[row.result] ?? row.result,
    row.details ?? '',
  ];
}

async function* readAll(repository: AuditRepository, filter: AuditSearch): AsyncGenerator<AuditEventRow> {
  for (let offset = 0; ; offset += EXPORT_BATCH_SIZE) {
    const rows = await repository.page(filter, offset, EXPORT_BATCH_SIZE);
    yield* rows;
    if (rows.length < EXPORT_BATCH_SIZE) return;
  }
}

/**
 * Quotes a CSV field (RFC 4180). A leading =, +, - or @ gets a ' so that Excel shows the text instead
 * of running it as a formula, because usernames and details come from user input.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Streams the search result as UTF-8 CSV with a byte order mark, so Excel detects the Chinese text. */
export function streamAuditCsv(repository: AuditRepository, filter: AuditSearch): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield `\uFEFF${headers.map(csvField).join(',')}\r\n`;
    for await (const row of readAll(repository, filter)) yield `${toCells(row).map(csvField).join(',')}\r\n`;
  }
  return Readable.from(lines());
}

/** Streams the search result as an .xlsx workbook, committing each row as it is written. */
export function streamAuditXlsx(repository: AuditRepository, filter: AuditSearch, onError: (error: unknown) => void): Readable {
  const output = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet('安全审计');
  sheet.columns = headers.map((header, index) => ({ header, key: String(index), width: index === 1 ? 20 : 16 }));

  void (async () => {
    try {
      for await (const row of readAll(repository, filter)) sheet.addRow(toCells(row)).commit();
      sheet.commit();
      await workbook.commit();
    } catch (error) {
      onError(error);
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return output;
}
