import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_ROW_REASON } from '../../src/modules/unified/unified-record.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/* File import of 大统一2.0 cases (sites without the HTTP interface): JSON and the .xlsx template. */

const MAX_IMPORT_BYTES = 256 * 1024;

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ unifiedImportMaxBytes: MAX_IMPORT_BYTES, unifiedUnitCode: '320583' });
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

async function importFailureCount(): Promise<number> {
  const row = await t.app.services.db.kysely
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('action', '=', 'unified.import')
    .where('result', '=', 'failure')
    .executeTakeFirstOrThrow();
  return Number(row.n);
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
    expect(report.run.rejected).toBe(1);
    expect(report.run.rejectedSuspects).toBe(1);
    expect(report.run.triggeredBy).toBe('系统管理员');
    expect(report.rows).toEqual([
      { sheet: null, rowNumber: 2, reference: '昆检刑诉受[2026]320583900002号', field: 'ajmc', fieldName: '案件名称', reason: '缺少案件名称。请在导入文件中更正后重新导入。' },
      {
        sheet: null,
        rowNumber: 3,
        reference: '昆检刑诉受[2026]320583900003号#1',
        field: 'zjhm',
        fieldName: '证件号码',
        reason: '居民身份证号校验位不正确（证件号码“110105194912310021”）。请在导入文件中更正后重新导入。',
      },
    ]);
    expect(report.totalRows).toBe(2);
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
    expect(report.run.fetched).toBe(3);
    expect(report.run.created).toBe(1);
    // The example row and row 4 are rejected cases; two 嫌疑人 rows are rejected suspects.
    expect(report.run.rejected).toBe(2);
    expect(report.run.rejectedSuspects).toBe(2);
    expect(report.rows).toEqual([
      { sheet: '案件', rowNumber: 2, reference: '示例-昆检刑诉受[2026]320583000000号', field: 'bmsah', fieldName: '部门受案号', reason: EXAMPLE_ROW_REASON },
      {
        sheet: '案件',
        rowNumber: 4,
        reference: '昆检刑诉受[2026]320583910002号',
        field: 'slrq',
        fieldName: '受理日期',
        reason: '受理日期“2026-02-30”不是有效日期，应为 YYYY-MM-DD。请在导入文件中更正后重新导入。',
      },
      {
        sheet: '嫌疑人',
        rowNumber: 4,
        reference: '昆检刑诉受[2026]320583910001号#2',
        field: 'zjhm',
        fieldName: '证件号码',
        reason: '居民身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X（证件号码“32058319900101123”）。请在导入文件中更正后重新导入。',
      },
      {
        sheet: '嫌疑人',
        rowNumber: 5,
        reference: '昆检刑诉受[2026]320583999999号',
        field: 'bmsah',
        fieldName: '部门受案号',
        reason: '“案件”表中没有该部门受案号，嫌疑人未导入。',
      },
    ]);
    expect(await caseCount()).toBe(before + 1);

    const history = (await t.app.inject({ method: 'GET', url: '/api/unified/runs', headers: { cookie: admin } })).json();
    expect(history.items[0].fileName).toBe('大统一案件.xlsx');
    const kept = (await t.app.inject({ method: 'GET', url: `/api/unified/runs/${report.run.id}/rejected`, headers: { cookie: admin } })).json();
    expect(kept).toEqual({ items: report.rows, total: 4 });
  });

  it('unchanged template imports nothing', async () => {
    const template = await t.app.inject({ method: 'GET', url: '/api/unified/import/template', headers: { cookie: admin } });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(template.rawPayload as unknown as ArrayBuffer);
    const notes = workbook.getWorksheet('填写说明')!.getColumn(1).values.join('\n');
    expect(notes).toContain('部门受案号以“示例”开头的行不会导入');

    const before = await caseCount();
    const response = await upload('大统一案件导入模板.xlsx', template.rawPayload);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report.run.created).toBe(0);
    expect(report.run.updated).toBe(0);
    expect(report.run.rejected).toBe(1);
    expect(report.rows.map((row: { reason: string }) => row.reason)).toEqual([EXAMPLE_ROW_REASON]);
    expect(await caseCount()).toBe(before);

    // With the example case row deleted, the example suspect row is skipped and not counted as a rejected suspect.
    const caseSheet = workbook.getWorksheet('案件')!;
    caseSheet.spliceRows(2, 1);
    caseSheet.addRow(['昆检刑诉受[2026]320583930001号', '', '删除示例后的案件', '', '', '0371', '张明', '', '', '2026-03-05', '', 'N', '']);
    const withoutExample = await upload('cases.xlsx', Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(withoutExample.statusCode, withoutExample.body).toBe(200);
    const second = withoutExample.json();
    expect(second.run.created).toBe(1);
    expect(second.run.rejected).toBe(0);
    expect(second.run.rejectedSuspects).toBe(0);
    expect(second.rows).toEqual([
      { sheet: '嫌疑人', rowNumber: 2, reference: '示例-昆检刑诉受[2026]320583000000号', field: 'bmsah', fieldName: '部门受案号', reason: EXAMPLE_ROW_REASON },
    ]);

    // An incomplete example is still reported as the example, not with its missing fields.
    const incomplete = await upload('example.json', Buffer.from(JSON.stringify({ cases: [{ bmsah: '示例-1' }] })));
    expect(incomplete.statusCode, incomplete.body).toBe(200);
    expect(incomplete.json().rows.map((row: { reason: string }) => row.reason)).toEqual([EXAMPLE_ROW_REASON]);
  });

  it('counts rejected cases and suspects apart', async () => {
    const twoReasons = caseRecord(21, { ajmc: '', slrq: '' });
    const twoBadSuspects = caseRecord(22, {
      xyr: [
        { xyrbh: '1', xm: '钱某', zjlx_dm: '111', zjhm: '110105194912310021' },
        { xyrbh: '2', xm: '孙某', zjhm: '11010519491231002X' },
        { xyrbh: '3', xm: '李某', zjlx_dm: '111', zjhm: '11010519491231002X' },
      ],
    });
    const response = await upload('counts.json', Buffer.from(JSON.stringify({ cases: [twoReasons, twoBadSuspects, caseRecord(23)] })));
    expect(response.statusCode, response.body).toBe(200);
    const { run, rows } = response.json();
    expect(run.fetched).toBe(3);
    expect(run.created).toBe(2);
    expect(run.rejected).toBe(1);
    expect(run.rejectedSuspects).toBe(2);
    expect(rows.map((row: { fieldName: string }) => row.fieldName)).toEqual(['案件名称', '受理日期', '证件号码', '证件类型编码']);
  });

  it('rejects a repeated case number', async () => {
    const first = caseRecord(31);
    const repeated = caseRecord(31, { ajmc: '重复行修改后' });
    const response = await upload('repeat.json', Buffer.from(JSON.stringify({ cases: [first, repeated] })));
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report.run.created).toBe(1);
    expect(report.run.rejected).toBe(1);
    expect(report.rows).toEqual([
      {
        sheet: null,
        rowNumber: 2,
        reference: first.bmsah,
        field: 'bmsah',
        fieldName: '部门受案号',
        reason: '部门受案号与第 1 条重复，该记录未导入。请在导入文件中更正后重新导入。',
      },
    ]);
    const stored = await t.app.services.db.kysely.selectFrom('cases').select('name').where('case_number', '=', first.bmsah).executeTakeFirstOrThrow();
    expect(stored.name).toBe('导入测试案31');
  });

  it('rejects a case of another unit', async () => {
    const other = caseRecord(41, { dwbm: '999999' });
    const response = await upload('unit.json', Buffer.from(JSON.stringify({ cases: [other] })));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().run.rejected).toBe(1);
    expect(response.json().rows[0].reason).toBe('单位编码“999999”不是本院的单位编码“320583”，该案件未导入。请在导入文件中更正后重新导入。');
    const stored = await t.app.services.db.kysely.selectFrom('cases').select('id').where('case_number', '=', other.bmsah).executeTakeFirst();
    expect(stored).toBeUndefined();
  });

  it('reads Excel date cells and numeric ID numbers', async () => {
    const template = await t.app.inject({ method: 'GET', url: '/api/unified/import/template', headers: { cookie: admin } });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(template.rawPayload as unknown as ArrayBuffer);
    const caseSheet = workbook.getWorksheet('案件')!;
    const suspectSheet = workbook.getWorksheet('嫌疑人')!;
    expect(caseSheet.getColumn(2).numFmt).toBe('@');
    expect(suspectSheet.getColumn(7).numFmt).toBe('@');

    const caseNumber = '昆检刑诉受[2026]320583920001号';
    // A date cell, as Excel stores a typed 2026-10-12, and a date serial number (46307 = 2026-10-12).
    caseSheet.addRow([caseNumber, '', '日期单元格案', '', '', '0371', '张明', '', '', new Date(Date.UTC(2026, 9, 12)), '', 'N', '']);
    suspectSheet.addRow([caseNumber, '1', '郑某', '男', '111', '居民身份证', '11010519491231002X', 18263]);
    suspectSheet.addRow([caseNumber, '2', '冯某', '男', '111', '居民身份证', 110105194912310020, '']);
    const serialCase = '昆检刑诉受[2026]320583920002号';
    caseSheet.addRow([serialCase, '', '日期序号案', '', '', '0371', '张明', '', '', 46307, '', 'N', '']);

    const response = await upload('dates.xlsx', Buffer.from(await workbook.xlsx.writeBuffer()));
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report.run.created).toBe(2);
    expect(report.run.rejectedSuspects).toBe(1);
    expect(report.rows.slice(1)).toEqual([
      {
        sheet: '嫌疑人',
        rowNumber: 4,
        reference: `${caseNumber}#2`,
        field: 'zjhm',
        fieldName: '证件号码',
        reason:
          '证件号码“110105194912310020”被存成了数字，超过 15 位的数字会丢失末几位。请把“证件号码”列设置为文本格式（JSON 中写成带引号的文本）后重新填写。请在导入文件中更正后重新导入。',
      },
    ]);

    const stored = await t.app.services.db.kysely.selectFrom('cases').select(['id', 'accepted_on']).where('case_number', 'in', [caseNumber, serialCase]).orderBy('case_number').execute();
    expect(stored.map((row) => row.accepted_on)).toEqual(['2026-10-12', '2026-10-12']);
    const suspect = await t.app.services.db.kysely.selectFrom('suspects').select('birth_date').where('case_id', '=', stored[0]!.id).executeTakeFirstOrThrow();
    expect(suspect.birth_date).toBe('1949-12-31');
  });

  it('rejects unreadable and oversized files', async () => {
    const failuresBefore = await importFailureCount();
    const cases: { name: string; content: Buffer; status: number; message: string }[] = [
      { name: 'empty.json', content: Buffer.alloc(0), status: 400, message: '导入文件内容为空，请重新选择文件。' },
      {
        name: 'cases.json',
        content: Buffer.from('{"cases": [ {"bmsah": '),
        status: 400,
        message: 'JSON 文件格式不正确，无法解析。请检查文件是否完整；仅支持 JSON（.json）或 Excel（.xlsx）文件。',
      },
      { name: 'none.json', content: Buffer.from('{"cases": []}'), status: 400, message: '文件中没有案件，请填写案件后重新导入。' },
      { name: 'fake.xlsx', content: Buffer.from('this is not a workbook'), status: 400, message: 'Excel 文件无法读取，请确认文件由下载的模板填写并另存为 .xlsx 格式。' },
      {
        name: 'picture.png',
        content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]),
        status: 400,
        message: '仅支持 JSON（.json）或 Excel（.xlsx）文件，“picture.png”不是这两种格式。',
      },
      { name: 'cases.json', content: Buffer.alloc(MAX_IMPORT_BYTES + 1, 0x20), status: 413, message: '导入文件过大，最大 256 KB，请拆分后分批导入。' },
    ];
    for (const item of cases) {
      const response = await upload(item.name, item.content);
      expect(response.statusCode, item.name).toBe(item.status);
      expect(response.json().message, item.name).toBe(item.message);
    }

    const notTemplate = await upload('cases.xlsx', Buffer.concat([Buffer.from('PK'), Buffer.alloc(100)]));
    expect(notTemplate.statusCode).toBe(400);
    expect(notTemplate.json().message).toContain('无法读取 Excel 文件');

    expect(await importFailureCount()).toBe(failuresBefore + cases.length + 1);
  });
});
