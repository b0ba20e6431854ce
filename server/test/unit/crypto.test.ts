import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/adapters/crypto/password.js';
import { SecretBox } from '../../src/adapters/crypto/secret-box.js';

describe('SecretBox', () => {
  it('round-trips and never shows the plain text', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.encrypt('p@ss#1:x');
    expect(sealed).not.toContain('p@ss');
    expect(box.decrypt(sealed)).toBe('p@ss#1:x');
  });

  it('detects tampering', () => {
    const box = new SecretBox(randomBytes(32));
    const parts = box.encrypt('secret').split(':');
    parts[3] = Buffer.from('other!').toString('base64');
    expect(() => box.decrypt(parts.join(':'))).toThrow();
  });

  it('rejects a key of the wrong size', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('password hashing', () => {
  it('verifies the right password only', async () => {
    const stored = await hashPassword('Tonglu@2026');
    expect(stored.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('Tonglu@2026', stored)).toBe(true);
    expect(await verifyPassword('tonglu@2026', stored)).toBe(false);
  });
});
