/**
 * Bytes of generated 电子卷宗 files: a one-page PDF, a UTF-8 text transcript and a small JPEG.
 * Each embeds the case number and a version, so every case and every change gets a distinct SHA-256.
 */

/** Builds a valid one-page PDF 1.4 whose page shows `lines` (ASCII only, because no CJK font is embedded). */
export function buildPdf(lines: readonly string[]): Buffer {
  const escaped = lines.map((line) => line.replace(/[\\()]/g, (character) => `\\${character}`).replace(/[^\x20-\x7e]/g, '?'));
  const stream = ['BT', '/F1 12 Tf', '72 760 Td', '14 TL', ...escaped.map((line) => `(${line}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
  ];

  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefOffset = Buffer.byteLength(body, 'latin1');
  // Each xref entry is exactly 20 bytes: 10-digit offset, space, 5-digit generation, space, flag, CR LF.
  const entries = ['0000000000 65535 f\r\n', ...offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n\r\n`)];
  body += `xref\n0 ${objects.length + 1}\n${entries.join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A 16x16 grey baseline JPEG made with ffmpeg 5 (`-f lavfi -i color=c=gray:s=16x16 -frames:v 1`). */
const BASE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAg+Pkk+SVVVVVVVVWRdZGhoaGRkZGRoaGhwcHCDg4NwcHBoaHBwfHyDg4+Tj4eHg4eTk5ubm7q6srLZ2eD/////xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAEAAQAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==',
  'base64',
);
/** The JFIF APP0 segment ends here (SOI is 2 bytes, APP0 is a 2-byte marker plus 16 bytes). */
const AFTER_APP0 = 20;

/** Builds a valid JPEG that carries `comment` in a COM segment placed after the JFIF header. */
export function buildJpeg(comment: string): Buffer {
  const text = Buffer.from(comment, 'utf8').subarray(0, 60_000);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xfffe, 0);
  header.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([BASE_JPEG.subarray(0, AFTER_APP0), header, text, BASE_JPEG.subarray(AFTER_APP0)]);
}

/** Builds a UTF-8 讯问笔录 text of roughly `lineCount` lines, so Range requests have something to cut. */
export function buildTranscript(title: string, suspectName: string, lineCount: number): Buffer {
  const lines = [`${title}`, '', `被讯问人：${suspectName}`, ''];
  for (let i = 1; i <= lineCount; i += 1) {
    lines.push(i % 2 === 1 ? `问：第${i}问，请陈述案发经过。` : `答：第${i}答，我如实供述，自愿认罪认罚。`);
  }
  lines.push('', '以上笔录我看过，和我说的相符。');
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}
