import { pinyin } from 'pinyin-pro';

/**
 * Returns the lower-case pinyin initials of a name ("张三" → "zs"), so a search for "zs" finds it.
 * Latin letters and digits are kept as they are; other characters are dropped.
 */
export function pinyinInitials(text: string): string {
  const initials = pinyin(text, { pattern: 'first', toneType: 'none', type: 'array', nonZh: 'consecutive' });
  return initials
    .join('')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}
