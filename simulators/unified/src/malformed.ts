/**
 * Defects that the `malformed` switch puts into case pages, to test how Tonglu validates input.
 */
import { residentIdCheckCharacter } from './id-numbers.js';
import type { MalformedKind } from './sim-state.js';

/** Size of the string the `huge-strings` defect puts into 案件名称: 10 MiB of ASCII. */
export const HUGE_STRING_BYTES = 10 * 1024 * 1024;

/**
 * Applies the item-level defects to one case, in place:
 * - missing-fields: removes ajmc, ajlb_bm, ajlb_mc, slrq, and zjlx_dm and zjlx_mc of each suspect.
 *   bmsah and gxsj stay, so the client can name the rejected case.
 * - bad-dates: slrq 2026-02-30 and csrq 1990/13/45. gxsj stays valid.
 * - bad-id-numbers: resident ID numbers with a wrong check character or 17 characters.
 * - huge-strings: ajmc becomes a 10 MiB string.
 */
export function applyItemDefects(item: Record<string, unknown>, kinds: readonly MalformedKind[]): void {
  const suspects = Array.isArray(item['xyr']) ? (item['xyr'] as Array<Record<string, unknown>>) : [];
  for (const kind of kinds) {
    switch (kind) {
      case 'missing-fields':
        for (const field of ['ajmc', 'ajlb_bm', 'ajlb_mc', 'slrq']) {
          delete item[field];
        }
        for (const suspect of suspects) {
          delete suspect['zjlx_dm'];
          delete suspect['zjlx_mc'];
        }
        break;
      case 'bad-dates':
        item['slrq'] = '2026-02-30';
        for (const suspect of suspects) {
          suspect['csrq'] = '1990/13/45';
        }
        break;
      case 'bad-id-numbers':
        suspects.forEach((suspect, index) => {
          suspect['zjlx_dm'] = '111';
          suspect['zjlx_mc'] = '居民身份证';
          suspect['zjhm'] = index % 2 === 0 ? breakCheckCharacter(String(suspect['zjhm'] ?? '')) : '32058319900101123';
        });
        break;
      case 'huge-strings':
        item['ajmc'] = 'A'.repeat(HUGE_STRING_BYTES);
        break;
      case 'bad-json':
        // Applies to the whole body, see truncateJson.
        break;
    }
  }
}

/** Returns an 18-character number whose last character is not the correct GB 11643 check character. */
function breakCheckCharacter(zjhm: string): string {
  const base = /^\d{17}/.test(zjhm) ? zjhm.slice(0, 17) : '32058319900101123';
  const correct = residentIdCheckCharacter(base);
  return `${base}${correct === '0' ? '1' : '0'}`;
}

/** Cuts a JSON text in the middle, so the body is complete on the wire but not valid JSON. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
