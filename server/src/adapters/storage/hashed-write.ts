import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from './fs-utils.js';

/** Bytes kept from the start of a file, enough for every signature that documents are checked against. */
const HEAD_BYTES = 4096;

export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`file exceeds ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}

export interface HashedTempFile {
  temporaryPath: string;
  size: number;
  sha256: string;
  sm3: string;
  /** First bytes of the file, for checks by content. */
  head: Buffer;
}

/**
 * Writes a stream to a temporary file in `workDir`, computing SHA-256 and SM3 while it is written.
 * Throws FileTooLargeError as soon as more than `maxBytes` arrive, and removes the temporary file on any failure.
 */
export async function writeStreamHashed(source: AsyncIterable<Buffer | string>, workDir: string, maxBytes: number): Promise<HashedTempFile> {
  await mkdir(workDir, { recursive: true });
  const temporaryPath = path.join(workDir, `${randomUUID()}.part`);
  const sha256 = createHash('sha256');
  const sm3 = createHash('sm3');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let size = 0;

  const handle = await open(temporaryPath, 'wx');
  try {
    for await (const piece of source) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
      size += chunk.length;
      if (size > maxBytes) throw new FileTooLargeError(maxBytes);
      if (headLength < HEAD_BYTES) {
        headChunks.push(chunk.subarray(0, HEAD_BYTES - headLength));
        headLength += Math.min(chunk.length, HEAD_BYTES - headLength);
      }
      sha256.update(chunk);
      sm3.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporaryPath, { force: true });
    throw error;
  }
  await handle.close();
  return { temporaryPath, size, sha256: sha256.digest('hex'), sm3: sm3.digest('hex'), head: Buffer.concat(headChunks) };
}

/** Moves a finished temporary file to its final absolute path and flushes the folder, so the rename survives a power cut. */
export async function moveIntoPlace(temporaryPath: string, finalPath: string): Promise<void> {
  await mkdir(path.dirname(finalPath), { recursive: true });
  await rename(temporaryPath, finalPath);
  await fsyncPath(path.dirname(finalPath));
}
