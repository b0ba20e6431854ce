import { describe, expect, it } from 'vitest';
import { parseByteRange } from '../../src/modules/media/byte-range.js';

describe('parseByteRange', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseByteRange>][] = [
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['bytes=90-200', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=20-10', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=abc', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
  ];

  it.each(cases)('%s of %i bytes', (header, size, expected) => {
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});
