import ExcelJS from 'exceljs';

/** A column of the import template: the Chinese header and the 大统一2.0 field it fills. */
interface TemplateColumn {
  header: string;
  field: string;
  required: boolean;
  width: number;
  example: string;
}

export const CASE_SHEET = '案件';
export const SUSPECT_SHEET = '嫌疑人';

const caseColumns: TemplateColumn[] = [
  { header: '部门受案号', field: 'bmsah', required: true, width: 34, example: '示例-昆检刑诉受[2026]320583000000号' },
  { header: '统一受案号', field: 'tysah', required: false, width: 20, example: '32058320260000000' },
  { header: '案件名称', field: 'ajmc', required: true, width: 24, example: '王某某盗窃案' },
  { header: '案件类别编码', field: 'ajlb_bm', required: false, width: 14, example: '2001' },
  { header: '案件类别', field: 'ajlb_mc', required: false, width: 16, example: '一审公诉案件' },
  { header: '承办人工号', field: 'cbrgh', required: true, width: 12, example: '0371' },
  { header: '承办人', field: 'cbr', required: true, width: 10, example: '张明' },
  { header: '承办部门编码', field: 'cbbm_bm', required: false, width: 14, example: '0003' },
  { header: '承办部门', field: 'cbbm_mc', required: false, width: 14, example: '第一检察部' },
  { header: '受理日期', field: 'slrq', required: true, width: 12, example: '2026-03-01' },
  { header: '案件状态', field: 'ajzt', required: false, width: 10, example: '办理中' },
  { header: '是否删除', field: 'sfsc', required: false, width: 10, example: 'N' },
  { header: '更新时间', field: 'gxsj', required: false, width: 26, example: '2026-03-01T09:30:00+08:00' },
];

const suspectColumns: TemplateColumn[] = [
  { header: '部门受案号', field: 'bmsah', required: true, width: 34, example: '示例-昆检刑诉受[2026]320583000000号' },
  { header: '嫌疑人编号', field: 'xyrbh', required: true, width: 12, example: '1' },
  { header: '姓名', field: 'xm', required: true, width: 10, example: '王某某' },
  { header: '性别', field: 'xb', required: false, width: 8, example: '男' },
  { header: '证件类型编码', field: 'zjlx_dm', required: false, width: 14, example: '111' },
  { header: '证件类型', field: 'zjlx_mc', required: false, width: 14, example: '居民身份证' },
  { header: '证件号码', field: 'zjhm', required: true, width: 22, example: '11010519491231002X' },
  { header: '出生日期', field: 'csrq', required: false, width: 12, example: '1949-12-31' },
];

/** Fields read as dates: a date cell or an Excel date serial number becomes YYYY-MM-DD. */
const dateFields = new Set(['slrq', 'csrq']);

/** Long numbers that Excel stores as numbers lose digits; a numeric cell is passed on as a number to be rejected. */
const numberTextFields = new Set(['tysah', 'zjhm']);

/**
 * Builds the import template: sheets 案件 and 嫌疑人 with Chinese headers (required ones marked *) and an example
 * row whose 部门受案号 starts with 示例, which the import skips.
 */
export async function buildTemplate(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  for (const [name, columns] of [
    [CASE_SHEET, caseColumns],
    [SUSPECT_SHEET, suspectColumns],
  ] as const) {
    const sheet = workbook.addWorksheet(name);
    sheet.columns = columns.map((column) => ({ header: column.required ? `${column.header}*` : column.header, width: column.width }));
    sheet.addRow(columns.map((column) => column.example));
    sheet.getRow(1).font = { bold: true };
    // Text format keeps leading zeros of 工号 and codes, and stops Excel from turning dates into numbers.
    columns.forEach((_column, index) => {
      sheet.getColumn(index + 1).numFmt = '@';
    });
  }
  const note = workbook.addWorksheet('填写说明');
  note.addRow(['带 * 的列必填。每个案件在“案件”表中占一行，每名嫌疑人在“嫌疑人”表中占一行，用部门受案号对应案件。']);
  note.addRow(['证件类型编码与证件类型至少填写一项；居民身份证（111）校验 18 位号码的校验位。日期格式为 YYYY-MM-DD。']);
  note.addRow(['是否删除填 Y 表示该案件已在大统一删除；更新时间不填时按导入时间处理。']);
  note.addRow(['第 2 行为示例行：部门受案号以“示例”开头的行不会导入，导入报告中显示为“已跳过示例行”。请在其下方填写真实案件，也可删除示例行。']);
  note.addRow(['证件号码、统一受案号、工号等列已设为文本格式；请勿改为数字格式，否则 18 位证件号码会丢失末几位。']);
  note.getColumn(1).width = 100;
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** One data row of a sheet as a record keyed by 大统一2.0 field names, with its row number. */
export interface SheetRow {
  rowNumber: number;
  /** Cell texts; a numeric cell of 证件号码 or 统一受案号 stays a number so the import can reject it. */
  values: Record<string, string | number>;
}

export interface WorkbookRows {
  cases: SheetRow[];
  suspects: SheetRow[];
}

/** Thrown for a workbook that is not the template; the message is Chinese and names what is missing. */
export class WorkbookError extends Error {}

/** Reads the 案件 and 嫌疑人 sheets of an uploaded template into rows keyed by field name. */
export async function readWorkbook(content: Buffer): Promise<WorkbookRows> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(content as unknown as ArrayBuffer);
  } catch (error) {
    throw new WorkbookError('无法读取 Excel 文件，请确认是由下载的模板填写并保存为 .xlsx 格式。', { cause: error });
  }
  return {
    cases: readSheet(workbook, CASE_SHEET, caseColumns),
    suspects: readSheet(workbook, SUSPECT_SHEET, suspectColumns),
  };
}

function readSheet(workbook: ExcelJS.Workbook, name: string, columns: TemplateColumn[]): SheetRow[] {
  const sheet = workbook.getWorksheet(name);
  if (!sheet) throw new WorkbookError(`Excel 文件中缺少“${name}”工作表，请使用下载的模板。`);

  const headerRow = sheet.getRow(1);
  const positions = new Map<string, number>();
  headerRow.eachCell((cell, columnNumber) => {
    const header = cellText(cell.value).replace(/\*$/, '').trim();
    const column = columns.find((item) => item.header === header);
    if (column) positions.set(column.field, columnNumber);
  });
  const missing = columns.filter((column) => column.required && !positions.has(column.field)).map((column) => column.header);
  if (missing.length > 0) throw new WorkbookError(`“${name}”工作表缺少列：${missing.join('、')}，请使用下载的模板。`);

  const rows: SheetRow[] = [];
  sheet.eachRow((row, rowNumber) => {
    if (rowNumber === 1) return;
    const values: Record<string, string | number> = {};
    for (const [field, columnNumber] of positions) {
      const value = row.getCell(columnNumber).value;
      if (typeof value === 'number' && numberTextFields.has(field)) {
        values[field] = value;
        continue;
      }
      const text = typeof value === 'number' && dateFields.has(field) ? serialToDate(value) : cellText(value).trim();
      if (text !== '') values[field] = text;
    }
    if (Object.keys(values).length > 0) rows.push({ rowNumber, values });
  });
  return rows;
}

/** Converts an Excel date serial number (days since 1899-12-30, 1900 date system) to YYYY-MM-DD. */
function serialToDate(serial: number): string {
  // Serials below 61 fall before Excel's fictitious 1900-02-29 and are not real dates of this domain.
  if (!Number.isFinite(serial) || serial < 61 || serial > 2958465) return String(serial);
  return new Date(Date.UTC(1899, 11, 30) + Math.floor(serial) * 86_400_000).toISOString().slice(0, 10);
}

/** Text of a cell: dates as YYYY-MM-DD, rich text joined, formulas by their result. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('text' in value) return String(value.text);
    return '';
  }
  return String(value);
}
