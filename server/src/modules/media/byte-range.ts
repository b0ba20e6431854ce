export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Parses a single `bytes=` range (RFC 9110 §14.1.2) against a file size. A request for several ranges gets the
 * whole file, which the RFC allows, because browsers seeking video request only one.
 */
export function parseByteRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  // A header that does not parse is ignored, as RFC 9110 §14.2 requires, and the whole file is sent.
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!match) return { kind: 'full' };
  const [, startText = '', endText = ''] = match;
  if (startText === '' && endText === '') return { kind: 'full' };

  if (startText === '') {
    const suffix = Number(endText);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }

  const start = Number(startText);
  const end = endText === '' ? size - 1 : Math.min(Number(endText), size - 1);
  if (start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
