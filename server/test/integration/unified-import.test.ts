import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/* File import of 大统一2.0 cases (sites without the HTTP interface): JSON and the .xlsx template. */

const MAX_IMPORT_BYTES = 256 * 1024;

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ unifiedImportMaxBytes: MAX_IMPORT_BYTES });
  admin = await t.login('admin');
});

afterAll(async () => {
  await t?.close();
});

function upload(fileName: string, content: Buffer) {
  return t.app.inject({
    method: 'POST',
    url: `/api/unified/import?fileName=${encodeURIComponent(fileName)}`,
    headers: { cookie: admin, 'content-type': 'application/octet-stream' },
    payload: content,
  });
}

function caseRecord(sequence: number, overrides: Record<string, unknown> = {}) {
  return {
    bmsah: `昆检刑诉受[2026]320583${String(900000 + sequence)}号`,
    tysah: `3205832026${String(9000000 + sequence)}`,
    dwbm: '320583',
    ajmc: `导入测试案${sequence}`,
    ajlb_bm: '2001',
    ajlb_mc: '一审公诉案件',
    cbrgh: '0371',
    cbr: '张明',
    cbbm_bm: '0003',
    cbbm_mc: '第一检察部',
    slrq: '2026-03-01',
    ajzt: '办理中',
    sfsc: 'N',
    gxsj: '2026-03-01T09:30:00+08:00',
    xyr: [{ xyrbh: '1', xm: '王某某', xb: '男', zjlx_dm: '111', zjlx_mc: '居民身份证', zjhm: '11010519491231002X', csrq: '1949-12-31' }],
    ...overrides,
  };
}

async function caseCount(): Promise<number> {
  const row = await t.app.services.db.kysely.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('unified file import', () => {
  it('imports JSON and reports bad records', async () => {
    const before = await caseCount();
    const fullWidth = caseRecord(1, { bmsah: '昆检刑诉受〔２０２６〕３２０５８３９００００１号' });
    const missingName = caseRecord(2, { ajmc: '' });
    const badId = caseRecord(3, {
      xyr: [
        { xyrbh: '1', xm: '李某', zjlx_dm: '111', zjhm: '110105194912310021' },
        { xyrbh: '2', xm: '赵某', zjlx_mc: '普通护照', zjhm: 'E12345678' },
      ],
    });
    const response = await upload('cases.json', Buffer.from(JSON.stringify({ cases: [fullWidth, missingName, badId] })));
    expect(response.statusCode, response.body).toBe(200);

    const report = response.json();
    expect(report.run.state).toBe('succeeded');
    expect(report.run.fetched).toBe(3);
    expect(report.run.created).toBe(2);
    expect(report.run.rejected).toBe(2);
    expect(report.rows).toEqual([
      { sheet: null, rowNumber: 2, reference: '昆检刑诉受[2026]320583900002号', field: 'ajmc', reason: '缺少案件名称。' },
      { sheet: null, rowNumber: 3, reference: '昆检刑诉受[2026]320583900003号#1', field: 'zjhm', reason: '居民身份证号校验位不正确，请核对后重新输入。' },
    ]);
    expect(await caseCount()).toBe(before + 2);

    const stored = await t.app.services.db.kysely.selectFrom('cases').selectAll().where('case_number', '=', '昆检刑诉受[2026]320583900001号').executeTakeFirst();
    expect(stored?.name).toBe('导入测试案1');
    const passport = await t.app.services.db.kysely
      .selectFrom('suspects')
      .innerJoin('cases', 'cases.id', 'suspects.case_id')
      .select(['suspects.id_type_code', 'suspects.id_type_name'])
      .where('cases.case_number', '=', '昆检刑诉受[2026]320583900003号')
      .execute();
    expect(passport).toEqual([{ id_type_code: '414', id_type_name: '普通护照' }]);
  });

  it('repeated JSON import adds nothing', async () => {
    const before = await caseCount();
    const response = await upload('cases.json', Buffer.from(JSON.stringify({ cases: [caseRecord(1)] })));
    expect(response.statusCode).toBe(200);
    expect(response.json().run.created).toBe(0);
    expect(response.json().run.updated).toBe(0);
    expect(await caseCount()).toBe(before);
  });

  it('imports the xlsx template with a row report', async () => {
    const template = await t.app.inject({ method: 'GET', url: '/api/unified/import/template', headers: { cookie: admin } });
    expect(template.statusCode).toBe(200);
    expect(template.headers['content-type']).toContain('spreadsheetml');

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(template.rawPayload as unknown as ArrayBuffer);
    const caseSheet = workbook.getWorksheet('案件')!;
    const suspectSheet = workbook.getWorksheet('嫌疑人')!;
    expect(caseSheet.getRow(1).getCell(1).value).toBe('部门受案号*');
    expect(suspectSheet.getRow(1).getCell(2).value).toBe('嫌疑人编号*');

    // Row 2 is the template's example; rows 3 and 4 are added, row 4 with an impossible date.
    const caseRow = (sequence: number, acceptedOn: string) => [
      `昆检刑诉受[2026]320583${String(910000 + sequence)}号`,
      '',
      `表格导入案${sequence}`,
      '2001',
      '一审公诉案件',
      '0372',
      '李华',
      '',
      '第二检察部',
      acceptedOn,
      '办理中',
      'N',
      '',
    ];
    caseSheet.addRow(caseRow(1, '2026-03-02'));
    caseSheet.addRow(caseRow(2, '2026-02-30'));
    suspectSheet.addRow([`昆检刑诉受[2026]320583910001号`, '1', '孙某', '女', '414', '普通护照', 'E87654321', '1990-05-06']);
    suspectSheet.addRow([`昆检刑诉受[2026]320583910001号`, '2', '周某', '男', '111', '居民身份证', '32058319900101123', '']);
    suspectSheet.addRow([`昆检刑诉受[2026]320583999999号`, '1', '吴某', '男', '990', '其他', 'QT1234567890', '']);
    const content = Buffer.from(await workbook.xlsx.writeBuffer());

    const before = await caseCount();
    const response = await upload('大统一案件.xlsx', content);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report.run.created).toBe(2);
    expect(report.run.rejected).toBe(3);
    expect(report.rows).toEqual([
      { sheet: '案件', rowNumber: 4, reference: '昆检刑诉受[2026]320583910002号', field: 'slrq', reason: '受理日期“2026-02-30”不是有效日期，应为 YYYY-MM-DD。' },
      {
        sheet: '嫌疑人',
        rowNumber: 4,
        reference: '昆检刑诉受[2026]320583910001号#2',
        field: 'zjhm',
        reason: '居民身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X。',
      },
      { sheet: '嫌疑人', rowNumber: 5, reference: '昆检刑诉受[2026]320583999999号', field: 'bmsah', reason: '“案件”表中没有该部门受案号，嫌疑人未导入。' },
    ]);
    expect(await caseCount()).toBe(before + 2);

    const history = (await t.app.inject({ method: 'GET', url: '/api/unified/runs', headers: { cookie: admin } })).json();
    expect(history.items[0].fileName).toBe('大统一案件.xlsx');
    const kept = (await t.app.inject({ method: 'GET', url: `/api/unified/runs/${report.run.id}/rejected`, headers: { cookie: admin } })).json();
    expect(kept).toEqual(report.rows);
  });

  it('rejects unreadable and oversized files', async () => {
    const broken = await upload('cases.json', Buffer.from('{"cases": [ {"bmsah": '));
    expect(broken.statusCode).toBe(400);
    expect(broken.json().message).toBe('JSON 文件格式不正确，无法解析，请检查文件是否完整。');

    const notTemplate = await upload('cases.xlsx', Buffer.concat([Buffer.from('PK'), Buffer.alloc(100)]));
    expect(notTemplate.statusCode).toBe(400);
    expect(notTemplate.json().message).toContain('无法读取 Excel 文件');

    const huge = await upload('cases.json', Buffer.alloc(MAX_IMPORT_BYTES + 1, 0x20));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().message).toBe('导入文件过大，最大 256 KB，请拆分后分批导入。');
  });
});
