import { describe, expect, it } from 'vitest';
import { checkIdNumber, checkResidentIdNumber, maskIdNumber } from '../../src/modules/cases/id-number.js';
import { withCheckDigit } from '../../src/db/seed.js';

describe('resident ID number check', () => {
  it('accepts a number with the right check digit', () => {
    expect(checkResidentIdNumber('11010519491231002X')).toBeNull();
    expect(checkResidentIdNumber('11010519491231002x')).toBeNull();
    expect(checkResidentIdNumber(withCheckDigit('32058319900307121'))).toBeNull();
  });

  it('rejects a wrong check digit', () => {
    expect(checkResidentIdNumber('110105194912310021')).toContain('校验位');
  });

  it('rejects wrong length and letters', () => {
    expect(checkResidentIdNumber('11010519491231002')).toContain('18 位');
    expect(checkResidentIdNumber('1101051949123100AX')).toContain('18 位');
  });

  it('rejects impossible and future birth dates', () => {
    expect(checkResidentIdNumber(withCheckDigit('11010519490231002'))).toContain('出生日期');
    expect(checkResidentIdNumber(withCheckDigit('11010530990101002'))).toContain('出生日期');
  });

  it('checks other ID types by shape only', () => {
    expect(checkIdNumber('414', 'E12345678')).toBeNull();
    expect(checkIdNumber('414', '护照')).toContain('字母或数字');
  });

  it('masks the middle of an ID number', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
  });
});
