import { describe, expect, it } from 'vitest';
import { contentDisposition, formatCompactLocal, sanitizeFileNamePart } from '../../src/lib/file-names.js';

describe('file names', () => {
  it('encodes a Chinese name per RFC 5987 with an ASCII fallback', () => {
    const header = contentDisposition('王某某盗窃案_王某某.mp4', 'attachment');
    expect(header).toBe(`attachment; filename="__________.mp4"; filename*=UTF-8''${encodeURIComponent('王某某盗窃案_王某某.mp4')}`);
    expect(decodeURIComponent(header.split("UTF-8''")[1] as string)).toBe('王某某盗窃案_王某某.mp4');
  });

  it('escapes quote characters in both forms', () => {
    const header = contentDisposition('a"b\'(c).mp4', 'inline');
    expect(header).toContain('filename="a_b\'(c).mp4"');
    expect(header).toContain("filename*=UTF-8''a%22b%27%28c%29.mp4");
  });

  it('formats local time at UTC+8', () => {
    expect(formatCompactLocal('2026-12-04T16:30:05.000Z')).toBe('20261205-003005');
  });

  it('removes path separators', () => {
    expect(sanitizeFileNamePart('a/b\\c:d')).toBe('a_b_c_d');
    expect(sanitizeFileNamePart('  ')).toBe('未命名');
  });
});
