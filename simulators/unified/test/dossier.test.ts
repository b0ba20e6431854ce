import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUnifiedSimulator, type UnifiedSimulator } from '../src/launch.js';
import { UnifiedClient } from './helpers.js';

interface DossierBody {
  bmsah: string;
  files: Array<{ wjbh: string; jzmc: string; mlmc: string; wjmc: string; wjdx: number; sha256: string; gxsj: string }>;
}

const TOKEN = 'dossier-token';
let unified: UnifiedSimulator;
let client: UnifiedClient;
let bmsahList: string[];

beforeAll(async () => {
  unified = await startUnifiedSimulator({ token: TOKEN });
  client = new UnifiedClient(unified.baseUrl, TOKEN);
  bmsahList = await unified.generate(12, { seed: 5 });
});

afterAll(async () => {
  await unified?.stop();
});

async function readDossier(bmsah: string): Promise<DossierBody> {
  const result = await client.get(`/api/v1/dossier?bmsah=${encodeURIComponent(bmsah)}`);
  expect(result.status, result.body.toString()).toBe(200);
  return JSON.parse(result.body.toString()) as DossierBody;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Checks that each xref entry of a PDF points at the start of its object. */
function checkPdfCrossReferences(pdf: Buffer): void {
  const text = pdf.toString('latin1');
  expect(text.startsWith('%PDF-1.')).toBe(true);
  expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
  const startxref = Number(/startxref\n(\d+)\n%%EOF/.exec(text)![1]);
  expect(text.slice(startxref, startxref + 4)).toBe('xref');
  const entries = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n\r$/gm)].map((match) => Number(match[1]));
  expect(entries.length).toBeGreaterThan(0);
  entries.forEach((offset, index) => {
    expect(text.slice(offset, offset + `${index + 1} 0 obj`.length)).toBe(`${index + 1} 0 obj`);
  });
}

describe('dossier tree', () => {
  it('lists files whose bytes match size and sha256', async () => {
    const dossier = await readDossier(bmsahList[0]!);

    expect(dossier.bmsah).toBe(bmsahList[0]);
    expect(dossier.files.length).toBeGreaterThanOrEqual(2);
    for (const file of dossier.files) {
      const result = await client.get(`/api/v1/dossier/files/${file.wjbh}/content`);
      expect(result.status).toBe(200);
      expect(Number(result.headers['content-length'])).toBe(file.wjdx);
      expect(result.body.length).toBe(file.wjdx);
      expect(sha256(result.body)).toBe(file.sha256);
    }
  });

  it('serves valid PDF, text and JPEG files', async () => {
    const files = (await Promise.all(bmsahList.map(readDossier))).flatMap((dossier) => dossier.files);
    const byExtension = (extension: string) => files.filter((file) => file.wjmc.endsWith(extension));
    expect(byExtension('.pdf').length).toBeGreaterThan(0);
    expect(byExtension('.txt').length).toBeGreaterThan(0);
    expect(byExtension('.jpg').length).toBeGreaterThan(0);

    const pdf = await client.get(`/api/v1/dossier/files/${byExtension('.pdf')[0]!.wjbh}/content`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    checkPdfCrossReferences(pdf.body);

    const text = await client.get(`/api/v1/dossier/files/${byExtension('.txt')[0]!.wjbh}/content`);
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.body.toString('utf8')).toContain('讯问笔录');

    const jpeg = await client.get(`/api/v1/dossier/files/${byExtension('.jpg')[0]!.wjbh}/content`);
    expect(jpeg.headers['content-type']).toBe('image/jpeg');
    expect(jpeg.body.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(jpeg.body.subarray(-2).toString('hex')).toBe('ffd9');
  });

  it('gives distinct sha256 across cases', async () => {
    const files = (await Promise.all(bmsahList.map(readDossier))).flatMap((dossier) => dossier.files);

    expect(new Set(files.map((file) => file.sha256)).size).toBe(files.length);
    expect(new Set(files.map((file) => file.wjbh)).size).toBe(files.length);
  });

  it('finds a case by its normalized bmsah', async () => {
    const variant = bmsahList.find((bmsah) => /[〔［]/.test(bmsah))!;
    const normalized = variant
      .replace(/[０-９]/g, (digit) => String(digit.charCodeAt(0) - 0xff10))
      .replace(/[〔［]/g, '[')
      .replace(/[〕］]/g, ']');

    const dossier = await readDossier(normalized);

    expect(dossier.bmsah).toBe(variant);
  });

  it('returns 404 for unknown cases and files', async () => {
    const unknownCase = await client.get(`/api/v1/dossier?bmsah=${encodeURIComponent('昆检刑诉受[2026]320583999999号')}`);
    const unknownFile = await client.get('/api/v1/dossier/files/F9999999/content');
    const missing = await client.get('/api/v1/dossier');

    expect(unknownCase.status).toBe(404);
    expect(JSON.parse(unknownCase.body.toString()).code).toBe('CASE_NOT_FOUND');
    expect(unknownFile.status).toBe(404);
    expect(JSON.parse(unknownFile.body.toString()).code).toBe('FILE_NOT_FOUND');
    expect(missing.status).toBe(400);
  });

  it('keeps wjbh and changes sha256 when a file changes', async () => {
    const before = new Map((await Promise.all(bmsahList.map(readDossier))).flatMap((dossier) => dossier.files.map((file) => [file.wjbh, file] as const)));

    const { changes } = await unified.change(12, 2);
    const changedCases = changes.filter((change) => change.fields.includes('dossier')).map((change) => change.bmsah);
    expect(changedCases.length).toBeGreaterThan(0);

    const after = (await Promise.all(changedCases.map(readDossier))).flatMap((dossier) => dossier.files);
    const rewritten = after.filter((file) => before.has(file.wjbh) && before.get(file.wjbh)!.sha256 !== file.sha256);
    const added = after.filter((file) => !before.has(file.wjbh));
    expect(rewritten.length + added.length).toBeGreaterThanOrEqual(changedCases.length);
    for (const file of [...rewritten, ...added]) {
      const result = await client.get(`/api/v1/dossier/files/${file.wjbh}/content`);
      expect(sha256(result.body)).toBe(file.sha256);
    }
  });
});

describe('file ranges', () => {
  let wjbh: string;
  let whole: Buffer;

  beforeAll(async () => {
    const file = (await readDossier(bmsahList[1]!)).files.find((candidate) => candidate.wjmc.endsWith('.txt'))!;
    wjbh = file.wjbh;
    whole = (await client.get(`/api/v1/dossier/files/${wjbh}/content`)).body;
  });

  it('serves a closed range with 206', async () => {
    const result = await client.get(`/api/v1/dossier/files/${wjbh}/content`, { Range: 'bytes=10-109' });

    expect(result.status).toBe(206);
    expect(result.headers['content-range']).toBe(`bytes 10-109/${whole.length}`);
    expect(result.headers['content-length']).toBe('100');
    expect(result.body.equals(whole.subarray(10, 110))).toBe(true);
  });

  it('serves open and suffix ranges', async () => {
    const open = await client.get(`/api/v1/dossier/files/${wjbh}/content`, { Range: 'bytes=100-' });
    const suffix = await client.get(`/api/v1/dossier/files/${wjbh}/content`, { Range: 'bytes=-50' });

    expect(open.status).toBe(206);
    expect(open.body.equals(whole.subarray(100))).toBe(true);
    expect(suffix.status).toBe(206);
    expect(suffix.headers['content-range']).toBe(`bytes ${whole.length - 50}-${whole.length - 1}/${whole.length}`);
    expect(suffix.body.equals(whole.subarray(-50))).toBe(true);
  });

  it('resumes a download in two parts', async () => {
    const head = await client.get(`/api/v1/dossier/files/${wjbh}/content`, { Range: `bytes=0-${Math.floor(whole.length / 2)}` });
    const tail = await client.get(`/api/v1/dossier/files/${wjbh}/content`, { Range: `bytes=${head.body.length}-` });

    expect(Buffer.concat([head.body, tail.body]).equals(whole)).toBe(true);
  });

  it('returns 416 past the end', async () => {
    const result = await client.get(`/api/v1/dossier/files/${wjbh}/content`, { Range: `bytes=${whole.length}-` });

    expect(result.status).toBe(416);
    expect(result.headers['content-range']).toBe(`bytes */${whole.length}`);
  });

  it('returns headers alone for HEAD', async () => {
    const response = await fetch(`${unified.baseUrl}/api/v1/dossier/files/${wjbh}/content`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(whole.length));
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('advertises byte ranges', async () => {
    const result = await client.get(`/api/v1/dossier/files/${wjbh}/content`);

    expect(result.headers['accept-ranges']).toBe('bytes');
  });
});
