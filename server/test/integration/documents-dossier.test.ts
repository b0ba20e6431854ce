import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { roomFor, startTestNvr, type NvrSimulator } from '../helpers/nvr-simulator.js';

const MAX_BYTES = 64 * 1024;

let nvr: NvrSimulator;
let t: TestApp;
let officer: string;
let otherOfficer: string;
let caseId: number;
let suspectId: number;

const samplePdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const samplePng = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const windowsExecutable = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0)]);

beforeAll(async () => {
  nvr = await startTestNvr();
  t = await createTestApp({ documentMaxBytes: MAX_BYTES }, roomFor(nvr));
  officer = await t.login('zhangming');
  otherOfficer = await t.login('lihua');
  const cases = (await t.app.inject({ method: 'GET', url: '/api/cases', headers: { cookie: officer } })).json();
  const theft = cases.items.find((item: { name: string }) => item.name === '王某某盗窃案');
  const detail = (await t.app.inject({ method: 'GET', url: `/api/cases/${theft.id}`, headers: { cookie: officer } })).json();
  caseId = detail.id;
  suspectId = detail.suspects[0].id;
});

afterAll(async () => {
  await t?.close();
  await nvr?.stop();
});

function upload(sessionId: number, fileName: string, content: Buffer, cookie = officer) {
  return t.app.inject({
    method: 'POST',
    url: `/api/sessions/${sessionId}/documents?fileName=${encodeURIComponent(fileName)}`,
    headers: { cookie, 'content-type': 'application/octet-stream' },
    payload: content,
  });
}

async function countDocuments(): Promise<number> {
  const row = await t.app.services.db.kysely
    .selectFrom('media_files')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('kind', '=', 'document')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

async function countAudit(action: string): Promise<number> {
  const row = await t.app.services.db.kysely
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('action', '=', action)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

describe('上传文书 and 资料补充', () => {
  let sessionId: number;
  let firstDocument: { id: number; sha256: string; sm3: string; isAddition: boolean; fileName: string };

  it('stores a PDF uploaded during recording with both hashes', async () => {
    const started = await t.app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie: officer }, payload: { caseId, suspectId } });
    expect(started.statusCode, started.body).toBe(201);
    sessionId = started.json().id;

    const response = await upload(sessionId, '讯问笔录.pdf', samplePdf);
    expect(response.statusCode, response.body).toBe(201);
    firstDocument = response.json();
    expect(firstDocument.fileName).toBe('讯问笔录.pdf');
    expect(firstDocument.isAddition).toBe(false);
    expect(firstDocument.sha256).toBe(createHash('sha256').update(samplePdf).digest('hex'));
    expect(firstDocument.sm3).toBe(createHash('sm3').update(samplePdf).digest('hex'));
    expect(await countAudit('document.upload')).toBe(1);
  });

  it('accepts images, docx and text', async () => {
    const docx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 0)]);
    for (const [name, content] of [
      ['现场照片.png', samplePng],
      ['笔录.docx', docx],
      ['说明.txt', Buffer.from('嫌疑人自愿认罪认罚。\r\n')],
    ] as const) {
      const response = await upload(sessionId, name, content);
      expect(response.statusCode, `${name}: ${response.body}`).toBe(201);
    }
  });

  it('rejects by content, not by name', async () => {
    const before = await countDocuments();
    const cases: [string, Buffer, RegExp][] = [
      ['病毒.png', windowsExecutable, /内容不是允许的类型/],
      ['假笔录.pdf', samplePng, /扩展名与内容不符/],
      ['程序.exe', windowsExecutable, /文件类型不支持/],
      ['空文件.pdf', Buffer.alloc(0), /文件内容为空/],
    ];
    for (const [name, content, message] of cases) {
      const response = await upload(sessionId, name, content);
      expect(response.statusCode, name).toBeGreaterThanOrEqual(400);
      expect(response.json().message, name).toMatch(message);
    }
    expect(await countDocuments()).toBe(before);
  });

  it('rejects a file over the size limit', async () => {
    const before = await countDocuments();
    const response = await upload(sessionId, '大文件.pdf', Buffer.concat([samplePdf, Buffer.alloc(MAX_BYTES, 0x20)]));
    expect(response.statusCode).toBe(413);
    expect(response.json().message).toMatch(/文件/);
    expect(await countDocuments()).toBe(before);
  });

  it('rejects a body that is not octet-stream', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/sessions/${sessionId}/documents?fileName=a.txt`,
      headers: { cookie: officer, 'content-type': 'application/json' },
      payload: { text: 'x' },
    });
    expect(response.statusCode).toBe(400);
  });

  it('returns 404 to an officer without rights to the case', async () => {
    const before = await countDocuments();
    const uploadResponse = await upload(sessionId, '笔录.pdf', samplePdf, otherOfficer);
    expect(uploadResponse.statusCode).toBe(404);
    const listResponse = await t.app.inject({ method: 'GET', url: `/api/sessions/${sessionId}/documents`, headers: { cookie: otherOfficer } });
    expect(listResponse.statusCode).toBe(404);
    const download = await t.app.inject({ method: 'GET', url: `/api/files/${firstDocument.id}/content?download=1`, headers: { cookie: otherOfficer } });
    expect(download.statusCode).toBe(404);
    expect(await countDocuments()).toBe(before);
  });

  it('returns 401 without login', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/api/sessions/${sessionId}/documents` });
    expect(response.statusCode).toBe(401);
  });

  it('downloads a document with its content type', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/api/files/${firstDocument.id}/content?download=1`, headers: { cookie: officer } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.rawPayload.equals(samplePdf)).toBe(true);
  });

  it('records later uploads as additions and keeps the originals', async () => {
    const ended = await t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/end`, headers: { cookie: officer }, payload: { uploadToYibanan: false } });
    expect(ended.statusCode, ended.body).toBe(200);
    // Ending on the room PC logs the officer out, as on the real room computer.
    officer = await t.login('zhangming');

    const response = await upload(sessionId, '补充材料.pdf', samplePdf);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().isAddition).toBe(true);
    expect(response.json().createdBy).toBe('张明');
    expect(await countAudit('document.addition')).toBe(1);

    const listing = (await t.app.inject({ method: 'GET', url: `/api/sessions/${sessionId}/documents`, headers: { cookie: officer } })).json();
    expect(listing.documents).toHaveLength(4);
    expect(listing.additions).toHaveLength(1);
    expect(listing.additions[0].fileName).toBe('补充材料.pdf');
    const original = listing.documents.find((item: { id: number }) => item.id === firstDocument.id);
    expect(original.sha256).toBe(firstDocument.sha256);
    expect(original.isAddition).toBe(false);
  });
});

describe('资料补充 to a case', () => {
  function uploadToCase(targetCaseId: number, fileName: string, content: Buffer, cookie = officer) {
    return t.app.inject({
      method: 'POST',
      url: `/api/cases/${targetCaseId}/documents?fileName=${encodeURIComponent(fileName)}`,
      headers: { cookie, 'content-type': 'application/octet-stream' },
      payload: content,
    });
  }

  async function countCaseDocuments(): Promise<number> {
    const row = await t.app.services.db.kysely.selectFrom('case_documents').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  it('stores, lists and downloads a case document', async () => {
    const response = await uploadToCase(caseId, '情况说明.pdf', samplePdf);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().createdBy).toBe('张明');

    const listing = await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/documents`, headers: { cookie: officer } });
    expect(listing.statusCode).toBe(200);
    expect(listing.json()).toHaveLength(1);
    expect(listing.json()[0].sha256).toBe(createHash('sha256').update(samplePdf).digest('hex'));

    const before = await countAudit('file.download');
    const download = await t.app.inject({ method: 'GET', url: `/api/case-documents/${response.json().id}/content`, headers: { cookie: officer } });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.rawPayload.equals(samplePdf)).toBe(true);
    expect(await countAudit('file.download')).toBe(before + 1);
  });

  it('rejects bad content and foreign cases', async () => {
    const before = await countCaseDocuments();
    const fake = await uploadToCase(caseId, '假.pdf', windowsExecutable);
    expect(fake.statusCode).toBe(415);
    const foreign = await uploadToCase(caseId, '笔录.pdf', samplePdf, otherOfficer);
    expect(foreign.statusCode).toBe(404);
    const list = await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/documents`, headers: { cookie: otherOfficer } });
    expect(list.statusCode).toBe(404);
    const download = await t.app.inject({ method: 'GET', url: '/api/case-documents/1/content', headers: { cookie: otherOfficer } });
    expect(download.statusCode).toBe(404);
    expect(await countCaseDocuments()).toBe(before);
  });
});

describe('电子卷宗下载', () => {
  let fileId: number;

  it('lists dossier files of the case', async () => {
    const added = await t.app.services.dossier.add({ caseId, name: '起诉意见书.pdf', folderPath: '诉讼文书卷/ 起诉意见书 ', source: '测试', content: samplePdf });
    fileId = added.id;
    expect(added.folderPath).toBe('诉讼文书卷/起诉意见书');
    expect(added.sha256).toBe(createHash('sha256').update(samplePdf).digest('hex'));

    const response = await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/dossier-files`, headers: { cookie: officer } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toHaveLength(1);
    expect(response.json()[0]).toMatchObject({ name: '起诉意见书.pdf', size: samplePdf.length, source: '测试' });
  });

  it('downloads a dossier file with an audit event', async () => {
    const before = await countAudit('dossier.download');
    const response = await t.app.inject({ method: 'GET', url: `/api/dossier-files/${fileId}/content`, headers: { cookie: officer } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toContain('attachment');
    expect(response.rawPayload.equals(samplePdf)).toBe(true);
    expect(await countAudit('dossier.download')).toBe(before + 1);
  });

  it('returns 404 to an officer without rights', async () => {
    const before = await countAudit('dossier.download');
    const list = await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/dossier-files`, headers: { cookie: otherOfficer } });
    expect(list.statusCode).toBe(404);
    const download = await t.app.inject({ method: 'GET', url: `/api/dossier-files/${fileId}/content`, headers: { cookie: otherOfficer } });
    expect(download.statusCode).toBe(404);
    const missing = await t.app.inject({ method: 'GET', url: '/api/dossier-files/999999/content', headers: { cookie: officer } });
    expect(missing.statusCode).toBe(404);
    expect(await countAudit('dossier.download')).toBe(before);
  });
});
