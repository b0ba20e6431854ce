import { hasUnsafeCharacters, isCalendarDate, normalizeCaseNumber } from '../../lib/text.js';
import { checkIdNumber, idTypes } from '../cases/id-number.js';

/** A 大统一2.0 case record after validation, in the shape the sync writes. */
export interface UnifiedCase {
  caseNumber: string;
  unifiedNumber: string | null;
  unitCode: string | null;
  name: string;
  categoryCode: string | null;
  categoryName: string | null;
  handlerCode: string;
  handlerName: string;
  departmentCode: string | null;
  departmentName: string | null;
  acceptedOn: string;
  status: string | null;
  isDeleted: boolean;
  /** `gxsj` as a UTC ISO string, comparable as text with other stored times. */
  updatedAt: string;
  suspects: UnifiedSuspect[];
}

export interface UnifiedSuspect {
  externalId: string;
  name: string;
  gender: string | null;
  idTypeCode: string;
  idTypeName: string;
  idNumber: string;
  birthDate: string | null;
}

/** One reason a record or one of its suspects was not imported. */
export interface Rejection {
  /** 部门受案号 of the record, with 嫌疑人编号 appended for a suspect (as `bmsah#xyrbh`). */
  reference: string;
  field: string;
  reason: string;
  /** Index of the suspect within `xyr` when the rejection concerns one suspect, else undefined. */
  suspectIndex?: number;
}

export interface ParsedRecord {
  /** The case to import, or null when the case itself is rejected. Rejected suspects are left out of it. */
  record: UnifiedCase | null;
  rejections: Rejection[];
}

/** Maximum lengths of the text fields; a longer value rejects the record instead of filling the database. */
export const fieldLimits = {
  bmsah: 64,
  tysah: 32,
  dwbm: 12,
  ajmc: 200,
  code: 32,
  name: 50,
  text: 100,
} as const;

/** Extra 证件类型 names 大统一2.0 may send that Tonglu's own list calls differently or lacks. */
const extraIdTypeNames: Record<string, string> = {
  '112': '临时居民身份证',
  '335': '机动车驾驶证',
  '411': '外交护照',
  '412': '公务护照',
  '413': '因公普通护照',
  '418': '外国人旅行证',
  '420': '香港特别行政区护照',
  '421': '澳门特别行政区护照',
  '513': '往来港澳通行证',
  '515': '前往港澳通行证',
  '517': '大陆居民往来台湾通行证',
  '552': '台湾居民定居证',
  '554': '外国人居留证',
  '555': '外国人临时居留证',
};

/**
 * Prefix of the 部门受案号 in the import template's example rows. No real 部门受案号 starts with it, so an
 * unchanged template never creates or overwrites a case.
 */
export const EXAMPLE_PREFIX = '示例';
export const EXAMPLE_ROW_REASON = '已跳过示例行：部门受案号以“示例”开头的行是模板中的示例，不会导入。';

export function isExampleCaseNumber(caseNumber: string): boolean {
  return caseNumber.startsWith(EXAMPLE_PREFIX);
}

/** Chinese names of the 大统一2.0 fields, shown in the 字段 column of rejected rows. */
export const fieldNames: Record<string, string> = {
  bmsah: '部门受案号',
  tysah: '统一受案号',
  dwbm: '单位编码',
  ajmc: '案件名称',
  ajlb_bm: '案件类别编码',
  ajlb_mc: '案件类别',
  cbrgh: '承办人工号',
  cbr: '承办人',
  cbbm_bm: '承办部门编码',
  cbbm_mc: '承办部门',
  slrq: '受理日期',
  ajzt: '案件状态',
  sfsc: '是否删除',
  gxsj: '更新时间',
  xyr: '嫌疑人',
  xyrbh: '嫌疑人编号',
  xm: '嫌疑人姓名',
  xb: '性别',
  zjlx_dm: '证件类型编码',
  zjlx_mc: '证件类型',
  zjhm: '证件号码',
  csrq: '出生日期',
};

/** Normalises a 部门受案号: half-width digits and letters, and `[]` for `〔〕`, `［］` or `﹝﹞`. */
export function normalizeUnifiedCaseNumber(text: string): string {
  return normalizeCaseNumber(text.replace(/\u3000/g, ' ')).replace(/\ufe5d/g, '[').replace(/\ufe5e/g, ']').replace(/\s+/g, '');
}

function idTypeNameOf(code: string): string | undefined {
  return idTypes.find((type) => type.code === code)?.name ?? extraIdTypeNames[code];
}

function idTypeCodeOf(name: string): string | undefined {
  const own = idTypes.find((type) => type.name === name);
  if (own) return own.code;
  const extra = Object.entries(extraIdTypeNames).find(([, typeName]) => typeName === name);
  if (extra) return extra[0];
  if (name === '身份证') return '111';
  if (name === '护照') return '414';
  if (name === '港澳同胞回乡证' || name === '回乡证') return '516';
  return undefined;
}

/** Reads a text field: undefined when missing or empty, or a rejection reason when it is not usable text. */
function readText(value: unknown, label: string, maxLength: number): { text?: string; problem?: string } {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'string' && typeof value !== 'number') return { problem: `${label}的格式不正确，应为文本。` };
  const text = String(value).trim();
  if (text === '') return {};
  if (text.length > maxLength) return { problem: `${label}过长（${text.length} 个字符），最多 ${maxLength} 个字符。` };
  if (hasUnsafeCharacters(text)) return { problem: `${label}中含有控制字符。` };
  return { text };
}

/** Parses `gxsj`. The contract requires an offset; a time without one is read as Beijing time (UTC+8). */
function parseUpdateTime(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text);
  const time = Date.parse(hasZone ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}+08:00`);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function checkDate(text: string): boolean {
  return isCalendarDate(text) && text >= '1900-01-01' && Date.parse(`${text}T00:00:00Z`) <= Date.now() + 24 * 3600_000;
}

/**
 * Validates one case record of the 大统一2.0 contract (the list item of GET /api/v1/cases, also a case of a JSON
 * import). Invalid suspects are rejected one by one and the case is kept without them; a case-level problem
 * rejects the whole record.
 */
export function parseUnifiedCase(raw: unknown): ParsedRecord {
  const rejections: Rejection[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { record: null, rejections: [{ reference: '（无）', field: 'bmsah', reason: '记录不是对象，无法读取。' }] };
  }
  const item = raw as Record<string, unknown>;

  const bmsahField = readText(item.bmsah, '部门受案号', fieldLimits.bmsah * 2);
  const caseNumber = bmsahField.text ? normalizeUnifiedCaseNumber(bmsahField.text) : '';
  const reference = caseNumber || '（无部门受案号）';
  const reject = (field: string, reason: string) => rejections.push({ reference, field, reason });

  if (bmsahField.problem) reject('bmsah', bmsahField.problem);
  else if (!caseNumber) reject('bmsah', '缺少部门受案号。');
  else if (caseNumber.length > fieldLimits.bmsah) reject('bmsah', `部门受案号过长，最多 ${fieldLimits.bmsah} 个字符。`);

  const required = (field: string, label: string, maxLength: number): string => {
    const { text, problem } = readText(item[field], label, maxLength);
    if (problem) reject(field, problem);
    else if (!text) reject(field, `缺少${label}。`);
    return text ?? '';
  };
  const optional = (field: string, label: string, maxLength: number): string | null => {
    const { text, problem } = readText(item[field], label, maxLength);
    if (problem) reject(field, problem);
    return text ?? null;
  };

  const name = required('ajmc', '案件名称', fieldLimits.ajmc);
  if (typeof item.tysah === 'number' && String(item.tysah).length > 15) {
    reject('tysah', `统一受案号“${String(item.tysah)}”被存成了数字，超过 15 位的数字会丢失末几位。请把“统一受案号”列设置为文本格式后重新填写。`);
  }
  const unifiedNumber = optional('tysah', '统一受案号', fieldLimits.tysah);
  if (unifiedNumber && !/^\d+$/.test(unifiedNumber)) reject('tysah', `统一受案号“${unifiedNumber}”应全部为数字。`);
  const unitCode = optional('dwbm', '单位编码', fieldLimits.dwbm);
  const categoryCode = optional('ajlb_bm', '案件类别编码', fieldLimits.code);
  const categoryName = optional('ajlb_mc', '案件类别', fieldLimits.text);
  const handlerCode = required('cbrgh', '承办人工号', fieldLimits.code);
  const handlerName = required('cbr', '承办人', fieldLimits.name);
  const departmentCode = optional('cbbm_bm', '承办部门编码', fieldLimits.code);
  const departmentName = optional('cbbm_mc', '承办部门', fieldLimits.text);
  const status = optional('ajzt', '案件状态', fieldLimits.text);

  const acceptedOn = required('slrq', '受理日期', 10);
  if (acceptedOn && !checkDate(acceptedOn)) reject('slrq', `受理日期“${acceptedOn}”不是有效日期，应为 YYYY-MM-DD。`);

  const updateText = required('gxsj', '更新时间', 40);
  const updatedAt = updateText ? parseUpdateTime(updateText) : null;
  if (updateText && !updatedAt) reject('gxsj', `更新时间“${updateText}”不是有效时间，应为带时区的 ISO 8601 时间。`);

  const deletedFlag = item.sfsc === undefined || item.sfsc === null ? 'N' : String(item.sfsc).trim().toUpperCase();
  if (deletedFlag !== 'Y' && deletedFlag !== 'N') reject('sfsc', `是否删除“${String(item.sfsc).slice(0, 10)}”无效，应为 Y 或 N。`);

  let suspectItems: unknown[] = [];
  if (item.xyr === undefined || item.xyr === null) suspectItems = [];
  else if (!Array.isArray(item.xyr)) reject('xyr', '嫌疑人列表（xyr）的格式不正确，应为数组。');
  else suspectItems = item.xyr;
  if (suspectItems.length > 200) reject('xyr', `嫌疑人过多（${suspectItems.length} 名），一个案件最多 200 名。`);

  if (rejections.length > 0) return { record: null, rejections };

  const suspects: UnifiedSuspect[] = [];
  const seen = new Set<string>();
  suspectItems.forEach((suspectRaw, index) => {
    const parsed = parseSuspect(suspectRaw, `${caseNumber}#`);
    if ('rejection' in parsed) {
      rejections.push({ ...parsed.rejection, suspectIndex: index });
      return;
    }
    if (seen.has(parsed.suspect.externalId)) {
      rejections.push({ reference: `${caseNumber}#${parsed.suspect.externalId}`, field: 'xyrbh', reason: '嫌疑人编号在本案中重复。', suspectIndex: index });
      return;
    }
    seen.add(parsed.suspect.externalId);
    suspects.push(parsed.suspect);
  });

  return {
    record: {
      caseNumber,
      unifiedNumber,
      unitCode,
      name,
      categoryCode,
      categoryName,
      handlerCode,
      handlerName,
      departmentCode,
      departmentName,
      acceptedOn,
      status,
      isDeleted: deletedFlag === 'Y',
      updatedAt: updatedAt as string,
      suspects,
    },
    rejections,
  };
}

/** Validates one 嫌疑人 of a record; the first problem found rejects it. */
export function parseSuspect(raw: unknown, referencePrefix: string): { suspect: UnifiedSuspect } | { rejection: Rejection } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { rejection: { reference: `${referencePrefix}?`, field: 'xyr', reason: '嫌疑人记录不是对象，无法读取。' } };
  }
  const item = raw as Record<string, unknown>;
  const externalIdField = readText(item.xyrbh, '嫌疑人编号', fieldLimits.code);
  const reference = `${referencePrefix}${externalIdField.text ?? '?'}`;
  const fail = (field: string, reason: string) => ({ rejection: { reference, field, reason } });

  if (externalIdField.problem) return fail('xyrbh', externalIdField.problem);
  if (!externalIdField.text) return fail('xyrbh', '缺少嫌疑人编号。');

  const nameField = readText(item.xm, '嫌疑人姓名', fieldLimits.name);
  if (nameField.problem) return fail('xm', nameField.problem);
  if (!nameField.text) return fail('xm', '缺少嫌疑人姓名。');

  const genderField = readText(item.xb, '性别', 10);
  if (genderField.problem) return fail('xb', genderField.problem);

  const codeField = readText(item.zjlx_dm, '证件类型编码', fieldLimits.code);
  if (codeField.problem) return fail('zjlx_dm', codeField.problem);
  const typeNameField = readText(item.zjlx_mc, '证件类型', fieldLimits.text);
  if (typeNameField.problem) return fail('zjlx_mc', typeNameField.problem);
  const idTypeCode = codeField.text ?? (typeNameField.text ? idTypeCodeOf(typeNameField.text) : undefined);
  if (!codeField.text && !typeNameField.text) return fail('zjlx_dm', '缺少证件类型（编码和名称都没有）。');
  if (!idTypeCode) return fail('zjlx_mc', `无法识别证件类型“${typeNameField.text ?? ''}”，请同时提供证件类型编码。`);
  if (!/^\d{3}$/.test(idTypeCode)) return fail('zjlx_dm', `证件类型编码“${idTypeCode}”无效，应为 3 位数字。`);
  const idTypeName = typeNameField.text ?? idTypeNameOf(idTypeCode) ?? `证件类型${idTypeCode}`;

  if (typeof item.zjhm === 'number' && String(item.zjhm).length > 15) {
    return fail('zjhm', `证件号码“${String(item.zjhm)}”被存成了数字，超过 15 位的数字会丢失末几位。请把“证件号码”列设置为文本格式（JSON 中写成带引号的文本）后重新填写。`);
  }
  const numberField = readText(item.zjhm, '证件号码', 32);
  if (numberField.problem) return fail('zjhm', numberField.problem);
  if (!numberField.text) return fail('zjhm', '缺少证件号码。');
  const idNumber = numberField.text.toUpperCase();
  const idProblem = checkIdNumber(idTypeCode, idNumber);
  // The checker's advice (请核对后重新输入) is for a form; synced data is corrected at its source instead.
  if (idProblem) return fail('zjhm', `${idProblem.replace(/，?请核对后重新输入。$/, '。').replace(/。$/, '')}（证件号码“${idNumber}”）。`);

  const birthField = readText(item.csrq, '出生日期', 10);
  if (birthField.problem) return fail('csrq', birthField.problem);
  if (birthField.text && !checkDate(birthField.text)) return fail('csrq', `出生日期“${birthField.text}”不是有效日期，应为 YYYY-MM-DD。`);

  return {
    suspect: {
      externalId: externalIdField.text,
      name: nameField.text,
      gender: genderField.text ?? null,
      idTypeCode,
      idTypeName,
      idNumber,
      birthDate: birthField.text ?? null,
    },
  };
}
