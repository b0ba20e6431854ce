/** Result of checking a 居民身份证 number: ok, or which rule it breaks. */
export type ResidentIdCheck = 'ok' | 'format' | 'check-digit';

// GB 11643-1999: the first 17 digits are weighted by 2^(17-i) mod 11, and the weighted sum mod 11
// picks the check character from this table.
const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const checkCharacters = '10X98765432';

/** Checks the 18-character 居民身份证 number format and its GB 11643 check character (x counts as X). */
export function checkResidentIdNumber(value: string): ResidentIdCheck {
  const normalized = value.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(normalized)) return 'format';

  let sum = 0;
  for (let index = 0; index < 17; index += 1) {
    sum += Number(normalized[index]) * (weights[index] ?? 0);
  }

  return checkCharacters[sum % 11] === normalized[17] ? 'ok' : 'check-digit';
}

/** ID type code of 居民身份证 in the national code table. */
export const residentIdTypeCode = '111';
