import { describe, expect, it } from 'vitest';
import { checkPasswordStrength, countCharacterClasses, isPasswordExpired } from '../../src/modules/auth/password-policy.js';

const policy = { minLength: 8, maxAgeDays: 90 };

describe('password strength', () => {
  it('counts the four character classes', () => {
    expect(countCharacterClasses('abc')).toBe(1);
    expect(countCharacterClasses('abcDEF')).toBe(2);
    expect(countCharacterClasses('abcDEF12')).toBe(3);
    expect(countCharacterClasses('aB1!')).toBe(4);
    expect(countCharacterClasses('密码密码')).toBe(1);
  });

  it.each([
    ['Abcdef12', true],
    ['abcdef1!', true],
    ['ABCDEF1!', true],
    ['Abcdef!!', true],
    ['Ab1!', false],
    ['abcdefgh', false],
    ['abcdef12', false],
    ['12345678', false],
    ['123456', false],
    ['Abc1!', false],
  ])('%s acceptable: %s', (password, isAcceptable) => {
    expect(checkPasswordStrength(password, policy) === null).toBe(isAcceptable);
  });

  it('names the configured minimum length', () => {
    expect(checkPasswordStrength('Abc123!', { minLength: 12, maxAgeDays: 90 })).toContain('至少 12 位');
  });
});

describe('password expiry', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('expires after the maximum age', () => {
    expect(isPasswordExpired('2026-03-01T00:00:00Z', now, 90)).toBe(true);
  });

  it('keeps a younger password', () => {
    expect(isPasswordExpired('2026-03-04T00:00:00Z', now, 90)).toBe(false);
  });

  it('never expires with a maximum age of 0', () => {
    expect(isPasswordExpired('2000-01-01T00:00:00Z', now, 0)).toBe(false);
  });
});
