import { StorageLayout } from '../../adapters/storage/storage-layout.js';
import type { Db } from '../../db/database.js';
import { CaseRepository } from '../cases/case.repository.js';
import { CaseAccessService } from '../cases/case-access.service.js';
import { CaseGrantRepository } from '../cases/case-grant.repository.js';
import { CaseService } from '../cases/case.service.js';
import { DossierService } from './dossier.service.js';

/** Builds a one-page PDF 1.4 with a line of ASCII text, with a correct cross-reference table. */
export function buildSamplePdf(text: string): Buffer {
  const escaped = text.replace(/[\\()]/g, (char) => `\\${char}`);
  const stream = `BT /F1 18 Tf 72 720 Td (${escaped}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(body.length);
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefOffset = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/**
 * Adds one sample 电子卷宗 PDF to the first demo case that has none, so 电子卷宗下载 has something to list
 * before the case-system import exists. Does nothing when a dossier file is already stored.
 */
export async function seedDemoDossier(db: Db, dataDir: string): Promise<void> {
  const existing = await db.kysely.selectFrom('dossier_files').select('id').executeTakeFirst();
  if (existing) return;
  const demoCase = await db.kysely.selectFrom('cases').select('id').where('name', '=', '王某某盗窃案').executeTakeFirst();
  if (!demoCase) return;

  const dossier = new DossierService(db, new CaseService(new CaseRepository(db), '', new CaseAccessService(new CaseGrantRepository(db))), new StorageLayout(dataDir));
  await dossier.add({
    caseId: demoCase.id,
    name: '起诉意见书.pdf',
    folderPath: '诉讼文书卷/起诉意见书',
    source: '演示数据',
    content: buildSamplePdf('Sample dossier file (demo data)'),
  });
}
