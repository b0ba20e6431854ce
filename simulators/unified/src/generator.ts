/**
 * Generates realistic 大统一2.0 data: cases with 部门受案号 and 统一受案号, suspects with valid
 * 证件号码, the unit's people and each case's 电子卷宗 files.
 */
import { createHash } from 'node:crypto';

import { buildJpeg, buildPdf, buildTranscript } from './dossier-content.js';
import { generateOtherDocument, generateResidentId } from './id-numbers.js';
import { formatChinaDate, type CaseRecord, type DossierFile, type Handler, type Suspect } from './model.js';
import type { Random } from './random.js';

interface CaseCategory {
  ajlb_bm: string;
  ajlb_mc: string;
  /** 业务代字 inside the 部门受案号, e.g. 刑诉 in 昆检刑诉受[2026]…号. */
  code: string;
  /** True for the 未成年人 categories, whose suspects are 14 to 17 years old. */
  isJuvenile: boolean;
}

const ADULT_AGES = { min: 18, max: 70 };
const JUVENILE_AGES = { min: 14, max: 17 };

// NOTE: the pairing of 业务代字 and 案件类别 codes comes from one public codebase, not from an
// official 2.0 code table, which is not public.
const CATEGORIES: ReadonlyArray<{ weight: number; value: CaseCategory }> = [
  { weight: 70, value: { ajlb_bm: '2001', ajlb_mc: '一审公诉案件', code: '刑诉', isJuvenile: false } },
  { weight: 15, value: { ajlb_bm: '2031', ajlb_mc: '审查逮捕案件', code: '刑捕', isJuvenile: false } },
  { weight: 8, value: { ajlb_bm: '1722', ajlb_mc: '未成年人审查起诉案件', code: '未起诉', isJuvenile: true } },
  { weight: 7, value: { ajlb_bm: '1701', ajlb_mc: '未成年人审查逮捕案件', code: '未捕', isJuvenile: true } },
];

/**
 * The unit's people. 张明 (0371, zhangming) and 李华 (0372, lihua) are users of the Tonglu demo seed
 * data. 王芳, 陈静 and 赵磊 match no demo user, so Tonglu lists them as unmatched handlers.
 */
export const DEFAULT_HANDLERS: readonly Handler[] = [
  { gh: '0371', xm: '张明', dlzh: 'zhangming', bm_bm: '0003', bm_mc: '第一检察部' },
  { gh: '0372', xm: '李华', dlzh: 'lihua', bm_bm: '0004', bm_mc: '第二检察部' },
  { gh: '0373', xm: '王芳', dlzh: 'wangfang', bm_bm: '0003', bm_mc: '第一检察部' },
  { gh: '0381', xm: '陈静', dlzh: 'chenjing', bm_bm: '0006', bm_mc: '第四检察部' },
  { gh: '0382', xm: '赵磊', dlzh: 'zhaolei', bm_bm: '0004', bm_mc: '第二检察部' },
];

const CRIMES = ['盗窃', '危险驾驶', '诈骗', '故意伤害', '帮助信息网络犯罪活动', '寻衅滋事', '开设赌场', '掩饰、隐瞒犯罪所得', '交通肇事', '非法吸收公众存款'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗', '欧阳', '司马'];
const GIVEN_NAME_CHARACTERS = ['伟', '芳', '娜', '敏', '静', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超', '秀', '霞', '平', '刚', '桂', '英', '华', '建', '国', '志', '文', '斌', '婷', '宇', '浩'];
const FOREIGN_NAMES = ['JOHN SMITH', 'KIM MINJUN', 'NGUYEN VAN AN', 'TANAKA HIROSHI'];
export const CASE_STATES = ['办理中', '办理中', '办理中', '已审结', '已起诉'];

const DIGITS_FULL_WIDTH = '０１２３４５６７８９';

export interface CaseNumbering {
  dwbm: string;
  /** Abbreviation of the procuratorate inside the 部门受案号, 昆 for 昆山. */
  unitAbbreviation: string;
  year: number;
  /** Sequence number of this case within the unit and year. */
  sequence: number;
}

/** A generated dossier file before the data store assigns its 文件编号 and 更新时间. */
export interface GeneratedFile {
  file: Omit<DossierFile, 'gxsj' | 'wjbh'>;
  content: Buffer;
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function generateName(random: Random): string {
  const length = random.chance(0.7) ? 2 : 1;
  let givenName = '';
  for (let i = 0; i < length; i += 1) {
    givenName += random.pick(GIVEN_NAME_CHARACTERS);
  }
  return `${random.pick(SURNAMES)}${givenName}`;
}

/** Builds the 部门受案号, mostly as 昆检刑诉受[2026]320583000123号 and sometimes with 〔〕 or full-width characters. */
export function formatBmsah(random: Random, numbering: CaseNumbering, code: string): string {
  const number = `${numbering.dwbm}${String(numbering.sequence).padStart(6, '0')}`;
  const variant = random.integer(1, 10);
  if (variant <= 7) {
    return `${numbering.unitAbbreviation}检${code}受[${numbering.year}]${number}号`;
  }
  if (variant <= 9) {
    return `${numbering.unitAbbreviation}检${code}受〔${numbering.year}〕${number}号`;
  }
  const fullWidth = (text: string): string => text.replace(/\d/g, (digit) => DIGITS_FULL_WIDTH[Number(digit)]!);
  return `${numbering.unitAbbreviation}检${code}受［${fullWidth(String(numbering.year))}］${fullWidth(number)}号`;
}

/** Builds the 17-digit 统一受案号: dwbm, year and a 7-digit sequence. */
export function formatTysah(numbering: CaseNumbering): string {
  return `${numbering.dwbm}${numbering.year}${String(numbering.sequence).padStart(7, '0')}`;
}

/**
 * Generates a suspect aged `ages` years: mostly with a 居民身份证, sometimes with another 证件类型 or
 * without its code or name.
 */
export function generateSuspect(random: Random, xyrbh: string, nowMs: number, ages: { min: number; max: number } = ADULT_AGES): Suspect {
  const isMale = random.chance(0.8);
  const ageYears = random.integer(ages.min, ages.max);
  const birthMs = nowMs - ageYears * 365.25 * 86_400_000 - random.integer(0, 364) * 86_400_000;
  const csrq = formatChinaDate(birthMs);

  let suspect: Suspect;
  if (random.chance(0.85)) {
    suspect = {
      xyrbh,
      xm: generateName(random),
      xb: isMale ? '男' : '女',
      zjlx_dm: '111',
      zjlx_mc: '居民身份证',
      zjhm: generateResidentId(random, csrq, isMale),
      csrq,
    };
  } else {
    const document = generateOtherDocument(random);
    const isForeign = document.zjlx_dm === '553' || (document.zjlx_dm === '414' && random.chance(0.5));
    suspect = { xyrbh, xm: isForeign ? random.pick(FOREIGN_NAMES) : generateName(random), xb: isMale ? '男' : '女', ...document, csrq };
  }

  // The contract allows either the code or the name of the 证件类型 to be missing, not both.
  const omission = random.integer(1, 20);
  if (omission === 1) {
    delete suspect.zjlx_dm;
  } else if (omission === 2) {
    delete suspect.zjlx_mc;
  }
  return suspect;
}

/** Generates one case (without gxsj, which the data store assigns) and its dossier files. */
export function generateCase(
  random: Random,
  numbering: CaseNumbering,
  handlers: readonly Handler[],
  suspectCount: number,
  nowMs: number,
): { record: Omit<CaseRecord, 'gxsj'>; files: GeneratedFile[] } {
  const category = random.pickWeighted(CATEGORIES);
  const handler = random.pick(handlers);
  const ages = category.isJuvenile ? JUVENILE_AGES : ADULT_AGES;
  const suspects = Array.from({ length: suspectCount }, (_, index) => generateSuspect(random, String(index + 1), nowMs, ages));
  const crime = random.pick(CRIMES);
  const firstSuspect = suspects[0]!;
  const leadName = /^[\u4e00-\u9fff]/.test(firstSuspect.xm) ? `${firstSuspect.xm.slice(0, 1)}某某` : firstSuspect.xm;
  const ajmc = suspectCount > 1 ? `${leadName}等${suspectCount}人${crime}案` : `${leadName}${crime}案`;
  const bmsah = formatBmsah(random, numbering, category.code);

  const record: Omit<CaseRecord, 'gxsj'> = {
    bmsah,
    tysah: formatTysah(numbering),
    dwbm: numbering.dwbm,
    ajmc,
    ajlb_bm: category.ajlb_bm,
    ajlb_mc: category.ajlb_mc,
    cbrgh: handler.gh,
    cbr: handler.xm,
    cbbm_bm: handler.bm_bm,
    cbbm_mc: handler.bm_mc,
    slrq: formatChinaDate(nowMs - random.integer(0, 90) * 86_400_000),
    ajzt: random.pick(CASE_STATES),
    sfsc: 'N',
    xyr: suspects,
  };
  return { record, files: generateDossierFiles(random, record, 1) };
}

/** Generates the 电子卷宗 files of a case. `version` changes the bytes, and so the SHA-256, of each file. */
export function generateDossierFiles(
  random: Random,
  record: Pick<CaseRecord, 'bmsah' | 'tysah' | 'ajmc' | 'xyr'>,
  version: number,
): GeneratedFile[] {
  const suspectName = record.xyr[0]?.xm ?? '未知';
  const result = [
    {
      jzmc: '诉讼卷',
      mlmc: '第一卷/起诉意见书',
      wjmc: '起诉意见书.pdf',
      content: buildPdf([`Indictment opinion (qisu yijianshu)`, `tysah ${record.tysah}`, `version ${version}`]),
    },
    {
      jzmc: '诉讼卷',
      mlmc: '第一卷/讯问笔录',
      wjmc: '讯问笔录.txt',
      content: buildTranscript(`${record.ajmc} 讯问笔录（第${version}版）`, suspectName, random.integer(20, 120)),
    },
  ];
  if (random.chance(0.6)) {
    result.push({ jzmc: '证据卷', mlmc: '第二卷/现场照片', wjmc: '现场照片01.jpg', content: buildJpeg(`${record.bmsah} v${version}`) });
  }
  return result.map(({ content, ...file }) => describeFile(file, content));
}

/** Rebuilds the bytes of an existing dossier file as `version`, keeping its type and names. */
export function regenerateFileContent(
  random: Random,
  file: Pick<DossierFile, 'wjmc'>,
  record: Pick<CaseRecord, 'bmsah' | 'tysah' | 'ajmc' | 'xyr'>,
  version: number,
): Buffer {
  if (file.wjmc.endsWith('.pdf')) {
    return buildPdf([`Revised document`, `tysah ${record.tysah}`, `version ${version}`]);
  }
  if (file.wjmc.endsWith('.jpg')) {
    return buildJpeg(`${record.bmsah} v${version}`);
  }
  return buildTranscript(`${record.ajmc} 讯问笔录（第${version}版）`, record.xyr[0]?.xm ?? '未知', random.integer(20, 120));
}

/** Generates a file that a change adds to an existing 电子卷宗. */
export function generateAddedFile(record: Pick<CaseRecord, 'tysah'>, version: number): GeneratedFile {
  const content = buildPdf(['Sentencing recommendation (liangxing jianyishu)', `tysah ${record.tysah}`, `version ${version}`]);
  return describeFile({ jzmc: '诉讼卷', mlmc: '第一卷/量刑建议书', wjmc: `量刑建议书${version}.pdf` }, content);
}

function describeFile(names: Pick<DossierFile, 'jzmc' | 'mlmc' | 'wjmc'>, content: Buffer): GeneratedFile {
  return { file: { ...names, wjdx: content.length, sha256: sha256Hex(content) }, content };
}
