/**
 * Data shapes of the 大统一2.0 contract (docs/integrations/README.md, section 1). Field names are the
 * pinyin abbreviations 2.0 uses, e.g. bmsah = 部门受案号, gxsj = 更新时间.
 */

/** 嫌疑人. Either zjlx_dm or zjlx_mc may be missing, never both. */
export interface Suspect {
  /** 嫌疑人编号, unique within the case. */
  xyrbh: string;
  xm: string;
  /** 性别: 男 or 女. */
  xb: string;
  /** 证件类型 code (GA/T 517 style, e.g. 111 居民身份证). */
  zjlx_dm?: string;
  zjlx_mc?: string;
  zjhm: string;
  /** 出生日期 YYYY-MM-DD. */
  csrq: string;
}

export interface CaseRecord {
  bmsah: string;
  tysah: string;
  dwbm: string;
  ajmc: string;
  ajlb_bm: string;
  ajlb_mc: string;
  cbrgh: string;
  cbr: string;
  cbbm_bm: string;
  cbbm_mc: string;
  slrq: string;
  ajzt: string;
  /** 是否删除: Y when the case was deleted in 2.0. */
  sfsc: 'Y' | 'N';
  gxsj: string;
  xyr: Suspect[];
}

/** 承办人 and other people of the unit. */
export interface Handler {
  /** 工号 */
  gh: string;
  xm: string;
  /** 登录账号 */
  dlzh: string;
  bm_bm: string;
  bm_mc: string;
}

/** One file of a case's 电子卷宗. */
export interface DossierFile {
  /** 文件编号, stable across content changes and unique in the data set. */
  wjbh: string;
  /** 卷宗名称, e.g. 诉讼卷. */
  jzmc: string;
  /** 目录名称, e.g. 第一卷/起诉意见书. */
  mlmc: string;
  wjmc: string;
  /** Size in bytes. */
  wjdx: number;
  sha256: string;
  gxsj: string;
}

const BRACKET_REPLACEMENTS: Record<string, string> = {
  '〔': '[',
  '〕': ']',
  '［': '[',
  '］': ']',
  '【': '[',
  '】': ']',
};

/** Normalises a 部门受案号 to half-width digits and `[]`, the form Tonglu stores and sends back. */
export function normalizeBmsah(bmsah: string): string {
  return bmsah
    .trim()
    .replace(/[０-９]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) - 0xff10 + 0x30))
    .replace(/[〔〕［］【】]/g, (bracket) => BRACKET_REPLACEMENTS[bracket] ?? bracket);
}

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Formats epoch milliseconds as ISO 8601 with the +08:00 offset and whole seconds. */
export function formatChinaTime(ms: number): string {
  return `${new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** Formats epoch milliseconds as the China-local date YYYY-MM-DD. */
export function formatChinaDate(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}
