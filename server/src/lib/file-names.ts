/** Formats an instant as local wall time YYYYMMDD-HHMMSS at a fixed UTC offset (China has no daylight saving). */
export function formatCompactLocal(iso: string, utcOffsetMinutes = 480): string {
  const local = new Date(Date.parse(iso) + utcOffsetMinutes * 60_000).toISOString();
  return `${local.slice(0, 10).replaceAll('-', '')}-${local.slice(11, 19).replaceAll(':', '')}`;
}

/** Removes characters that Windows, macOS or Linux do not allow in file names. */
export function sanitizeFileNamePart(text: string): string {
  // Control characters (below U+0020) are not allowed in Windows file names either.
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').trim();
  return cleaned.slice(0, 60) || '未命名';
}

/** Builds the Content-Disposition value with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987). */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline', asciiFallback?: string): string {
  // Browsers that ignore filename* save the plain name, so a name of only underscores is replaced by the given one.
  const folded = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const fallback = /[A-Za-z0-9]/.test(folded.replace(/\.[^.]*$/, '')) || !asciiFallback ? folded : asciiFallback;
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
