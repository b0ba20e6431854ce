/** Splits a byte stream of ISO BMFF boxes into whole top-level boxes (ISO/IEC 14496-12 §4.2). */
export class Mp4BoxSplitter {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every box completed by them, as [type, bytes]. */
  push(chunk: Buffer): [string, Buffer][] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const boxes: [string, Buffer][] = [];
    let offset = 0;
    while (this.buffer.length - offset >= 8) {
      let size = this.buffer.readUInt32BE(offset);
      const type = this.buffer.toString('latin1', offset + 4, offset + 8);
      if (size === 1) {
        if (this.buffer.length - offset < 16) break;
        size = Number(this.buffer.readBigUInt64BE(offset + 8));
      }
      if (size < 8) throw new Error(`invalid MP4 box size ${size} for ${JSON.stringify(type)}`);
      if (this.buffer.length - offset < size) break;
      boxes.push([type, this.buffer.subarray(offset, offset + size)]);
      offset += size;
    }
    this.buffer = this.buffer.subarray(offset);
    return boxes;
  }
}

/** Builds the RFC 6381 codecs value (avc1.PPCCLL) from the avcC box inside an init segment. */
export function codecOf(initSegment: Buffer): string | null {
  const avc = initSegment.indexOf('avcC', 0, 'latin1');
  if (avc >= 0 && avc + 8 <= initSegment.length) {
    const hex = (byte: number | undefined) => (byte ?? 0).toString(16).padStart(2, '0');
    return `avc1.${hex(initSegment[avc + 5])}${hex(initSegment[avc + 6])}${hex(initSegment[avc + 7])}`;
  }
  if (initSegment.indexOf('hvcC', 0, 'latin1') >= 0) return 'hvc1';
  return null;
}
