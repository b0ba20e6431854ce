// C0/C1 control characters and the Unicode bidirectional overrides (U+202A–U+202E, U+2066–U+2069), which can
// disguise file names and break layouts.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** True when user text contains characters that must not reach names, file names or lists. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/** Folds full-width ASCII forms (Ａ－～, U+FF01–U+FF5E) to half-width and 〔〕 to [], for case numbers typed either way. */
export function normalizeCaseNumber(text: string): string {
  return text
    .trim()
    .replace(/[\uff01-\uff5e]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xfee0))
    .replace(/\u3014/g, '[')
    .replace(/\u3015/g, ']');
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
