/**
 * Opaque page cursors and sync tokens. Both encode the position (gxsj, bmsah) of the last case the
 * client received, so the next request continues strictly after it. Cases that share a gxsj are
 * therefore neither skipped nor repeated at a page boundary.
 */

/** Position in the (gxsj, bmsah) order: gxsj as epoch milliseconds and the 部门受案号 as stored. */
export interface PageKey {
  gxsjMs: number;
  bmsah: string;
}

interface EncodedKey {
  v: 1;
  t: number;
  b: string;
}

/** Position before every case, used as the sync token of an empty data set. */
export const START_KEY: PageKey = { gxsjMs: Number.NEGATIVE_INFINITY, bmsah: '' };

export function encodePageKey(key: PageKey): string {
  const encoded: EncodedKey = { v: 1, t: Number.isFinite(key.gxsjMs) ? key.gxsjMs : -1, b: key.bmsah };
  return Buffer.from(JSON.stringify(encoded), 'utf8').toString('base64url');
}

/** Decodes a token from encodePageKey, or returns null when it is not one. */
export function decodePageKey(token: string): PageKey | null {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const candidate = parsed as Partial<EncodedKey> | null;
  if (candidate === null || typeof candidate !== 'object' || candidate.v !== 1 || typeof candidate.t !== 'number' || typeof candidate.b !== 'string') {
    return null;
  }
  return { gxsjMs: candidate.t < 0 ? Number.NEGATIVE_INFINITY : candidate.t, bmsah: candidate.b };
}

export function comparePageKeys(a: PageKey, b: PageKey): number {
  if (a.gxsjMs !== b.gxsjMs) {
    return a.gxsjMs < b.gxsjMs ? -1 : 1;
  }
  if (a.bmsah === b.bmsah) {
    return 0;
  }
  return a.bmsah < b.bmsah ? -1 : 1;
}
