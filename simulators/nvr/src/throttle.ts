import { Transform, type TransformCallback } from 'node:stream';

/** Slices per second when throttling; smaller slices make the rate smoother. */
const SLICES_PER_SECOND = 10;

/**
 * Creates a pass-through stream that limits throughput to `readBytesPerSecond()` bytes per second.
 * The limit is read again for every slice, so switching it on or off applies to running streams.
 * A null limit passes data through at once.
 */
export function createThrottle(readBytesPerSecond: () => number | null): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let offset = 0;
      const sendNextSlice = (): void => {
        if (this.destroyed) {
          return;
        }
        const bytesPerSecond = readBytesPerSecond();
        if (bytesPerSecond === null) {
          this.push(chunk.subarray(offset));
          callback();
          return;
        }
        const sliceLength = Math.max(1, Math.floor(bytesPerSecond / SLICES_PER_SECOND));
        const slice = chunk.subarray(offset, offset + sliceLength);
        offset += slice.length;
        this.push(slice);
        const delayMs = (slice.length / bytesPerSecond) * 1000;
        if (offset >= chunk.length) {
          setTimeout(callback, delayMs);
        } else {
          setTimeout(sendNextSlice, delayMs);
        }
      };
      sendNextSlice();
    },
  });
}
