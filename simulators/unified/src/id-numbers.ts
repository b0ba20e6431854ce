/**
 * 证件号码 generation: resident ID numbers with the GB 11643-1999 check digit and plausible
 * numbers for the other 证件类型.
 */
import type { Random } from './random.js';

const CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = '10X98765432';

/** Computes the GB 11643 check character (0-9 or X) of the first 17 digits of a resident ID number. */
export function residentIdCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new Error(`Expected 17 digits, got "${first17}".`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    sum += Number(first17[i]) * CHECK_WEIGHTS[i]!;
  }
  return CHECK_CHARACTERS[sum % 11]!;
}

export function isValidResidentId(value: string): boolean {
  return /^\d{17}[\dX]$/.test(value) && residentIdCheckCharacter(value.slice(0, 17)) === value[17];
}

/** 行政区划代码 of places near 昆山 and a few farther ones, for the first six digits. */
const AREA_CODES = ['320583', '320583', '320583', '320506', '320505', '320102', '320282', '341023', '342101', '410105', '510105', '430102'];

/** Builds a valid 18-digit 居民身份证 number. The order code is odd for men and even for women. */
export function generateResidentId(random: Random, birthDate: string, isMale: boolean): string {
  const order = random.integer(0, 49) * 2 + (isMale ? 1 : 0);
  const first17 = `${random.pick(AREA_CODES)}${birthDate.replaceAll('-', '')}${String(random.integer(0, 9))}${String(order).padStart(2, '0')}`;
  return `${first17}${residentIdCheckCharacter(first17)}`;
}

export interface OtherDocument {
  zjlx_dm: string;
  zjlx_mc: string;
  zjhm: string;
}

/** Returns one of the non-resident 证件类型 with a number in its usual format. */
export function generateOtherDocument(random: Random): OtherDocument {
  const kind = random.pick(['414', '511', '516', '553', '990']);
  switch (kind) {
    case '414':
      return { zjlx_dm: '414', zjlx_mc: '普通护照', zjhm: `E${random.digits(8)}` };
    case '511':
      return { zjlx_dm: '511', zjlx_mc: '台湾居民来往大陆通行证', zjhm: random.digits(8) };
    case '516':
      return { zjlx_dm: '516', zjlx_mc: '港澳同胞回乡证', zjhm: `${random.pick(['H', 'M'])}${random.digits(8)}` };
    case '553':
      return { zjlx_dm: '553', zjlx_mc: '外国人永久居留身份证', zjhm: `${random.pick(['USA', 'KOR', 'JPN', 'VNM'])}${random.digits(12)}` };
    default:
      return { zjlx_dm: '990', zjlx_mc: '其他', zjhm: `QT${random.digits(10)}` };
  }
}
