/** Document types accepted by 上传文书 and 资料补充, recognised by their first bytes and checked against the file name. */
export interface DocumentType {
  label: string;
  extensions: string[];
  contentType: string;
}

export const documentTypes: Record<string, DocumentType> = {
  pdf: { label: 'PDF', extensions: ['pdf'], contentType: 'application/pdf' },
  png: { label: 'PNG 图片', extensions: ['png'], contentType: 'image/png' },
  jpeg: { label: 'JPEG 图片', extensions: ['jpg', 'jpeg'], contentType: 'image/jpeg' },
  gif: { label: 'GIF 图片', extensions: ['gif'], contentType: 'image/gif' },
  doc: { label: 'Word 97-2003 文档', extensions: ['doc'], contentType: 'application/msword' },
  docx: { label: 'Word 文档', extensions: ['docx'], contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  txt: { label: '文本文件', extensions: ['txt'], contentType: 'text/plain; charset=utf-8' },
};

/** Content types of stored files by extension, for downloads. */
export function contentTypeOfFileName(fileName: string): string | undefined {
  const extension = extensionOf(fileName);
  return Object.values(documentTypes).find((type) => type.extensions.includes(extension))?.contentType;
}

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

const signatures: { type: string; bytes: number[] }[] = [
  { type: 'pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { type: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'gif', bytes: [0x47, 0x49, 0x46, 0x38] },
  // OLE2 compound file, the container of .doc.
  { type: 'doc', bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] },
  // ZIP local file header, the container of .docx.
  { type: 'docx', bytes: [0x50, 0x4b, 0x03, 0x04] },
];

/**
 * Detects the document type from the first bytes of the file. Plain text has no signature, so it is
 * accepted only when the head decodes as UTF-8 (a BOM is allowed) and contains no NUL or other binary
 * control characters. Returns undefined for anything else.
 */
export function detectDocumentType(head: Buffer): string | undefined {
  const match = signatures.find((signature) => signature.bytes.every((byte, index) => head[index] === byte));
  if (match) return match.type;
  if (head.length > 0 && looksLikeText(head)) return 'txt';
  return undefined;
}

function looksLikeText(head: Buffer): boolean {
  try {
    // `stream: true` tolerates a multi-byte character cut at the end of the head. Any other invalid byte throws.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  // Tab, line feed, form feed and carriage return are text. Other C0 control bytes mean binary data.
  return !head.some((byte) => byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d);
}
