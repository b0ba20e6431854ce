import { describe, expect, it } from 'vitest';
import { normalizeUnifiedCaseNumber, parseUnifiedCase } from '../../src/modules/unified/unified-record.js';

const validCase = {
  bmsah: '昆检刑诉受[2026]320583000123号',
  ajmc: '王某某盗窃案',
  cbrgh: '0371',
  cbr: '张明',
  slrq: '2026-03-01',
  sfsc: 'N',
  gxsj: '2026-03-01T09:30:00+08:00',
  xyr: [{ xyrbh: '1', xm: '王某某', zjlx_dm: '111', zjhm: '11010519491231002X' }],
};

describe('normalizeUnifiedCaseNumber', () => {
  it.each([
    ['昆检刑诉受[2026]320583000123号', '昆检刑诉受[2026]320583000123号'],
    ['昆检刑诉受〔2026〕320583000123号', '昆检刑诉受[2026]320583000123号'],
    ['昆检刑诉受［２０２６］３２０５８３０００１２３号', '昆检刑诉受[2026]320583000123号'],
    ['昆检刑诉受〔２０２６〕320583000123号', '昆检刑诉受[2026]320583000123号'],
    ['昆检刑诉受﹝2026﹞320583000123号', '昆检刑诉受[2026]320583000123号'],
    ['  昆检刑诉受 [2026] 320583000123号\u3000', '昆检刑诉受[2026]320583000123号'],
  ])('normalises %s', (input, expected) => {
    expect(normalizeUnifiedCaseNumber(input)).toBe(expected);
  });
});

describe('parseUnifiedCase', () => {
  it('accepts a valid record', () => {
    const { record, rejections } = parseUnifiedCase(validCase);
    expect(rejections).toEqual([]);
    expect(record?.caseNumber).toBe('昆检刑诉受[2026]320583000123号');
    expect(record?.updatedAt).toBe('2026-03-01T01:30:00.000Z');
    expect(record?.suspects[0]?.idTypeName).toBe('居民身份证');
  });

  it('stores full-width numbers half-width', () => {
    const { record } = parseUnifiedCase({ ...validCase, bmsah: '昆检刑诉受〔２０２６〕３２０５８３０００１２３号' });
    expect(record?.caseNumber).toBe('昆检刑诉受[2026]320583000123号');
  });

  it.each([
    ['ajmc', { ajmc: undefined }, '缺少案件名称。'],
    ['cbrgh', { cbrgh: '' }, '缺少承办人工号。'],
    ['slrq', { slrq: '2026-02-30' }, '受理日期“2026-02-30”不是有效日期，应为 YYYY-MM-DD。'],
    ['gxsj', { gxsj: 'yesterday' }, '更新时间“yesterday”不是有效时间，应为带时区的 ISO 8601 时间。'],
    ['sfsc', { sfsc: 'X' }, '是否删除“X”无效，应为 Y 或 N。'],
    ['ajmc', { ajmc: 'A'.repeat(10 * 1024 * 1024) }, '案件名称过长（10485760 个字符），最多 200 个字符。'],
    ['xyr', { xyr: 'none' }, '嫌疑人列表（xyr）的格式不正确，应为数组。'],
    ['ajmc', { ajmc: { text: 'x' } }, '案件名称的格式不正确，应为文本。'],
  ])('rejects bad %s', (field, change, reason) => {
    const { record, rejections } = parseUnifiedCase({ ...validCase, ...change });
    expect(record).toBeNull();
    expect(rejections).toEqual([{ reference: '昆检刑诉受[2026]320583000123号', field, reason }]);
  });

  it('rejects one bad suspect only', () => {
    const { record, rejections } = parseUnifiedCase({
      ...validCase,
      xyr: [
        { xyrbh: '1', xm: '王某某', zjlx_dm: '111', zjhm: '110105194912310021' },
        { xyrbh: '2', xm: '李某', zjlx_mc: '普通护照', zjhm: 'E12345678' },
        { xyrbh: '3', xm: '赵某', zjhm: 'E12345678' },
        { xyrbh: '2', xm: '重复', zjlx_dm: '990', zjhm: 'QT00000001' },
      ],
    });
    expect(record?.suspects.map((suspect) => suspect.externalId)).toEqual(['2']);
    expect(record?.suspects[0]?.idTypeCode).toBe('414');
    expect(rejections.map((rejection) => [rejection.reference, rejection.field, rejection.suspectIndex])).toEqual([
      ['昆检刑诉受[2026]320583000123号#1', 'zjhm', 0],
      ['昆检刑诉受[2026]320583000123号#3', 'zjlx_dm', 2],
      ['昆检刑诉受[2026]320583000123号#2', 'xyrbh', 3],
    ]);
  });

  it('rejects a record that is no object', () => {
    expect(parseUnifiedCase('text').rejections[0]?.reason).toBe('记录不是对象，无法读取。');
    expect(parseUnifiedCase(null).record).toBeNull();
  });

  it('reads gxsj without offset as Beijing time', () => {
    expect(parseUnifiedCase({ ...validCase, gxsj: '2026-03-01 09:30:00' }).record?.updatedAt).toBe('2026-03-01T01:30:00.000Z');
  });
});
