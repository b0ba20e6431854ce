import { describe, expect, it } from 'vitest';
import { codecOf, Mp4BoxSplitter } from '../../src/modules/live/mp4-boxes.js';

function box(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length + 8, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

describe('Mp4BoxSplitter', () => {
  it('returns whole boxes across chunk boundaries', () => {
    const stream = Buffer.concat([box('ftyp', Buffer.alloc(12)), box('moov', Buffer.alloc(30)), box('moof', Buffer.alloc(5))]);
    const splitter = new Mp4BoxSplitter();
    const types: string[] = [];
    for (let offset = 0; offset < stream.length; offset += 7) {
      for (const [type] of splitter.push(stream.subarray(offset, offset + 7))) types.push(type);
    }
    expect(types).toEqual(['ftyp', 'moov', 'moof']);
  });

  it('rejects a corrupt size', () => {
    const bad = Buffer.from([0, 0, 0, 4, 0x61, 0x62, 0x63, 0x64]);
    expect(() => new Mp4BoxSplitter().push(bad)).toThrow(/invalid MP4 box size/);
  });
});

describe('codecOf', () => {
  it('reads profile, compatibility and level from avcC', () => {
    const avcc = box('avcC', Buffer.from([1, 0x64, 0x00, 0x1f, 0xff]));
    expect(codecOf(box('moov', avcc))).toBe('avc1.64001f');
  });

  it('reports H.265 and unknown streams', () => {
    expect(codecOf(box('moov', box('hvcC', Buffer.alloc(4))))).toBe('hvc1');
    expect(codecOf(box('moov', Buffer.alloc(4)))).toBeNull();
  });
});
