/** Standard 证件类型 codes (公安部 GA/T 517 style codes as used by 检察业务应用系统). */
export const idTypes = [
  { code: '111', name: '居民身份证' },
  { code: '113', name: '户口簿' },
  { code: '114', name: '中国人民解放军军官证' },
  { code: '123', name: '警官证' },
  { code: '414', name: '普通护照' },
  { code: '511', name: '台湾居民来往大陆通行证' },
  { code: '516', name: '港澳居民来往内地通行证' },
  { code: '553', name: '外国人永久居留身份证' },
  { code: '990', name: '其他' },
] as const;

export function findIdType(code: string): { code: string; name: string } | undefined {
  return idTypes.find((type) => type.code === code);
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/**
 * Checks an 18-digit resident ID number: GB 11643-1999 ISO 7064 MOD 11-2 check digit and a real birth date.
 * Returns a Chinese reason when invalid, or null.
 */
export function checkResidentIdNumber(value: string): string | null {
  const id = value.toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return '居民身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X。';

  const birth = id.slice(6, 14);
  const year = Number(birth.slice(0, 4));
  const month = Number(birth.slice(4, 6));
  const day = Number(birth.slice(6, 8));
  const date = new Date(Date.UTC(year, month - 1, day));
  const isRealDate = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!isRealDate || year < 1900 || date.getTime() > Date.now()) return `居民身份证号中的出生日期 ${birth} 无效。`;

  let sum = 0;
  for (let index = 0; index < 17; index += 1) sum += Number(id[index]) * (WEIGHTS[index] as number);
  const expected = CHECK_CHARS[sum % 11];
  if (id[17] !== expected) return '居民身份证号校验位不正确，请核对后重新输入。';
  return null;
}

/** Checks an ID number for its type; other types only need printable text of a sane length. */
export function checkIdNumber(typeCode: string, value: string): string | null {
  if (typeCode === '111') return checkResidentIdNumber(value);
  if (!/^[0-9A-Za-z()（）-]{4,32}$/.test(value)) return '证件号应为 4 到 32 位字母或数字。';
  return null;
}

/** Masks an ID number for lists: keeps the first 6 and last 4 characters. */
export function maskIdNumber(value: string): string {
  if (value.length <= 10) return `${value.slice(0, 2)}${'*'.repeat(Math.max(0, value.length - 2))}`;
  return `${value.slice(0, 6)}${'*'.repeat(value.length - 10)}${value.slice(-4)}`;
}
