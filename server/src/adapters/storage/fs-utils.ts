import { open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Flushes a file or folder to disk so a power cut after a rename cannot leave an empty file behind. */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file under a temporary name, flushes it, then renames it into place. */
export async function writeFileAtomic(target: string, data: Buffer | string): Promise<void> {
  const temporary = `${target}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, data);
    await fsyncPath(temporary);
    await rename(temporary, target);
    await fsyncPath(path.dirname(target));
  } finally {
    await rm(temporary, { force: true });
  }
}
