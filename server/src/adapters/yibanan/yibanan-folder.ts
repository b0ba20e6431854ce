import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncPath, writeFileAtomic } from '../storage/fs-utils.js';

export interface DropFile {
  /** Path inside the package, as listed in the manifest (e.g. video/1-….mp4). */
  path: string;
  sourcePath: string;
}

/** The outbox contains a `.done` marker for this package id with another manifest hash. */
export class OutboxConflictError extends Error {
  constructor(readonly packageId: string) {
    super(`outbox already holds package ${packageId} with another manifest`);
    this.name = 'OutboxConflictError';
  }
}

/**
 * Folder-drop delivery for a network gateway (网闸): the package is written to `<outbox>/.<id>.partial/`, flushed,
 * renamed to `<outbox>/<id>/`, and only then is `<outbox>/<id>.done` written with the manifest's SHA-256. The
 * gateway moves a package only after its marker exists, so it never moves a half-written one.
 * Returns 'already-dropped' when the marker for the same manifest exists.
 */
export async function dropPackage(
  outbox: string,
  packageId: string,
  manifest: Buffer,
  manifestSha256: string,
  files: DropFile[],
  onProgress: (bytesWritten: number) => Promise<void>,
  signal: AbortSignal,
): Promise<'written' | 'already-dropped'> {
  const markerPath = path.join(outbox, `${packageId}.done`);
  const finalDir = path.join(outbox, packageId);
  const partialDir = path.join(outbox, `.${packageId}.partial`);

  const marker = await readFile(markerPath, 'utf8').catch(() => null);
  if (marker !== null) {
    if (marker.trim() === manifestSha256) return 'already-dropped';
    throw new OutboxConflictError(packageId);
  }

  // Leftovers of an interrupted run: a partial folder, or a renamed folder whose marker was never written.
  await mkdir(outbox, { recursive: true });
  await rm(partialDir, { recursive: true, force: true });
  await rm(finalDir, { recursive: true, force: true });
  await mkdir(partialDir);

  await writeFileAtomic(path.join(partialDir, 'manifest.json'), manifest);
  let written = 0;
  const folders = new Set<string>([partialDir]);
  for (const file of files) {
    const target = resolveInside(partialDir, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    folders.add(path.dirname(target));
    let sinceReport = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        sinceReport += chunk.length;
        callback(null, chunk);
      },
    });
    // Progress is saved once a second, so the database is not written per 1 MB block.
    const reporter = setInterval(() => {
      if (sinceReport === 0) return;
      sinceReport = 0;
      void onProgress(written).catch(() => undefined);
    }, 1000);
    try {
      await pipeline(createReadStream(file.sourcePath, { highWaterMark: 1024 * 1024 }), counter, createWriteStream(target), { signal });
    } finally {
      clearInterval(reporter);
    }
    const copied = await stat(target);
    const source = await stat(file.sourcePath);
    if (copied.size !== source.size) throw new Error(`copy of ${file.path} has ${copied.size} of ${source.size} bytes`);
    await fsyncPath(target);
    await onProgress(written);
  }
  for (const folder of folders) await fsyncPath(folder);

  await rename(partialDir, finalDir);
  await fsyncPath(outbox);
  await writeFileAtomic(markerPath, `${manifestSha256}\n`);
  return 'written';
}

function resolveInside(root: string, relativePath: string): string {
  const target = path.resolve(root, relativePath);
  if (!target.startsWith(root + path.sep)) throw new Error(`package path escapes the package folder: ${relativePath}`);
  return target;
}
