export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Parses a single `bytes=` range (RFC 9110 §14.1.2) against a file size. A request for several ranges gets the
 * whole file, which the RFC allows, because browsers seeking video request only one.
 */
export function parseByteRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!match) return header.includes(',') || !header.startsWith('bytes=') ? { kind: 'full' } : { kind: 'unsatisfiable' };
  const [, startText = '', endText = ''] = match;
  if (startText === '' && endText === '') return { kind: 'unsatisfiable' };

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
