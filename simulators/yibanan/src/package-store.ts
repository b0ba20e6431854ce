/**
 * Packages on disk. Each package is a folder `<data-dir>/packages/<packageId>/` with
 *   manifest.json   the PUT body byte for byte, so its SHA-256 can be compared on a repeated PUT
 *   state.json      PackageRecord, replaced atomically (temporary file, fsync, rename)
 *   files/<index>   the bytes received so far for manifest file <index>
 * A new package is assembled in a dot-folder and renamed into place, so a crash never leaves half a package.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';

import { describeError, log } from './log.js';
import { EMPTY_SHA256, parseManifest, PACKAGE_ID_PATTERN, type Manifest } from './manifest.js';

export type PackageState = 'receiving' | 'accepted';

export interface FileRecord {
  /** Bytes stored in files/<index>. */
  received: number;
  /** All bytes arrived and their SHA-256 matched the manifest. */
  complete: boolean;
  /** SHA-256 computed from the stored bytes once they were complete, else null. */
  verifiedSha256: string | null;
}

export interface PackageRecord {
  packageId: string;
  manifestSha256: string;
  state: PackageState;
  receiptId: string | null;
  announcedAt: string;
  acceptedAt: string | null;
  /** Transitions from receiving to accepted; the contract allows at most 1. */
  acceptCount: number;
  commitCalls: number;
  /** Every PATCH body byte stored, counting bytes sent again after a drop or a discarded file. */
  bytesReceivedTotal: number;
  files: FileRecord[];
}

/** Running SHA-256 over the first `bytes` bytes of a stored file. */
interface HashProgress {
  hash: Hash;
  bytes: number;
}

export class StoredPackage {
  /** Serialises state.json writes so an older state never replaces a newer one. */
  private persistChain: Promise<void> = Promise.resolve();
  /** Serialises commits so two concurrent commits cannot both accept the package. */
  private commitChain: Promise<unknown> = Promise.resolve();
  private readonly hashes = new Map<number, HashProgress>();

  constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly record: PackageRecord,
  ) {}

  filePath(index: number): string {
    return path.join(this.dir, 'files', String(index));
  }

  /** Writes state.json atomically; concurrent calls are queued and each writes the latest record. */
  persist(): Promise<void> {
    const next = this.persistChain.then(() => writeFileAtomic(path.join(this.dir, 'state.json'), JSON.stringify(this.record, null, 2)));
    this.persistChain = next.catch(() => undefined);
    return next;
  }

  /** Runs `task` after every earlier commit of this package has finished. */
  serializeCommit<T>(task: () => Promise<T>): Promise<T> {
    const next = this.commitChain.then(task);
    this.commitChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Returns a running hash over the first `received` bytes of file `index`, reading the stored
   * bytes again when no matching hash is in memory (after a restart, for example).
   */
  async hashAt(index: number, received: number): Promise<HashProgress> {
    const cached = this.hashes.get(index);
    if (cached && cached.bytes === received) {
      return cached;
    }
    const hash = createHash('sha256');
    if (received > 0) {
      for await (const chunk of createReadStream(this.filePath(index), { start: 0, end: received - 1 })) {
        hash.update(chunk as Buffer);
      }
    }
    const progress = { hash, bytes: received };
    this.hashes.set(index, progress);
    return progress;
  }

  /** Puts back a hash copied earlier, after the file was cut back to the `bytes` it covers. */
  restoreHash(index: number, hash: Hash, bytes: number): void {
    this.hashes.set(index, { hash, bytes });
  }

  /** Cuts file `index` back to `length` bytes and drops its cached running hash. */
  async truncateFile(index: number, length: number): Promise<void> {
    await truncate(this.filePath(index), length);
    const file = this.record.files[index]!;
    file.received = length;
    file.complete = false;
    file.verifiedSha256 = null;
    this.hashes.delete(index);
  }

  /**
   * Checks a file whose bytes have all arrived against the manifest's SHA-256. A match marks it
   * complete; a mismatch discards the stored bytes so the file is sent again from offset 0.
   * The caller persists the record.
   */
  async verifyFile(index: number): Promise<{ isMatch: boolean; actualSha256: string }> {
    const file = this.record.files[index]!;
    const expected = this.manifest.files[index]!;
    const progress = await this.hashAt(index, file.received);
    const actualSha256 = progress.hash.copy().digest('hex');
    if (file.received === expected.size && actualSha256 === expected.sha256) {
      file.complete = true;
      file.verifiedSha256 = actualSha256;
      this.hashes.delete(index);
      log('info', 'File complete and verified', { packageId: this.record.packageId, index, path: expected.path, size: expected.size });
      return { isMatch: true, actualSha256 };
    }
    log('warn', 'File discarded because its SHA-256 does not match the manifest', {
      packageId: this.record.packageId,
      index,
      path: expected.path,
      expectedSha256: expected.sha256,
      actualSha256,
    });
    await this.truncateFile(index, 0);
    return { isMatch: false, actualSha256 };
  }
}

export type AnnounceResult =
  | { outcome: 'created'; pkg: StoredPackage }
  | { outcome: 'same'; pkg: StoredPackage }
  | { outcome: 'conflict'; pkg: StoredPackage };

export class PackageStore {
  private readonly packages = new Map<string, StoredPackage>();
  /** Serialises announcements so two concurrent PUTs of a new id cannot both create it. */
  private announceChain: Promise<unknown> = Promise.resolve();
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'packages');
  }

  /** Loads every package folder and reconciles `received` with the bytes actually on disk. */
  async load(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) {
        continue;
      }
      const dir = path.join(this.root, entry.name);
      if (entry.name.startsWith('.')) {
        // A package that was still being created when the simulator stopped. Its PUT got no response.
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const pkg = await loadPackage(dir, entry.name);
        this.packages.set(pkg.record.packageId, pkg);
      } catch (error) {
        log('error', 'Skipped a package folder that could not be read', { dir, error: describeError(error) });
      }
    }
    log('info', 'Packages loaded', { count: this.packages.size, root: this.root });
  }

  get(packageId: string): StoredPackage | undefined {
    return this.packages.get(packageId);
  }

  list(): StoredPackage[] {
    return [...this.packages.values()].sort((a, b) => a.record.announcedAt.localeCompare(b.record.announcedAt));
  }

  /** Stores a new package, or compares the manifest with the one already stored under the id. */
  announce(packageId: string, body: Buffer, manifest: Manifest): Promise<AnnounceResult> {
    const next = this.announceChain.then(() => this.announceNow(packageId, body, manifest));
    this.announceChain = next.catch(() => undefined);
    return next;
  }

  private async announceNow(packageId: string, body: Buffer, manifest: Manifest): Promise<AnnounceResult> {
    const manifestSha256 = createHash('sha256').update(body).digest('hex');
    const existing = this.packages.get(packageId);
    if (existing) {
      return { outcome: existing.record.manifestSha256 === manifestSha256 ? 'same' : 'conflict', pkg: existing };
    }

    const record: PackageRecord = {
      packageId,
      manifestSha256,
      state: 'receiving',
      receiptId: null,
      announcedAt: new Date().toISOString(),
      acceptedAt: null,
      acceptCount: 0,
      commitCalls: 0,
      bytesReceivedTotal: 0,
      files: manifest.files.map((file) => ({
        received: 0,
        complete: file.size === 0,
        verifiedSha256: file.size === 0 ? EMPTY_SHA256 : null,
      })),
    };
    const finalDir = path.join(this.root, packageId);
    const buildDir = path.join(this.root, `.${packageId}.${randomBytes(4).toString('hex')}`);
    await mkdir(path.join(buildDir, 'files'), { recursive: true });
    await writeFileAtomic(path.join(buildDir, 'manifest.json'), body);
    await writeFileAtomic(path.join(buildDir, 'state.json'), JSON.stringify(record, null, 2));
    for (let index = 0; index < manifest.files.length; index += 1) {
      await (await open(path.join(buildDir, 'files', String(index)), 'w')).close();
    }
    await rename(buildDir, finalDir);
    await syncDirectory(this.root);

    const pkg = new StoredPackage(finalDir, manifest, record);
    this.packages.set(packageId, pkg);
    log('info', 'Package announced', { packageId, files: manifest.files.length, manifestSha256 });
    return { outcome: 'created', pkg };
  }

  /**
   * Accepts the package when every file is complete and verified. Files whose bytes have all
   * arrived but were not checked yet (the connection dropped after the last byte) are checked here.
   */
  commit(pkg: StoredPackage): Promise<{ accepted: true } | { accepted: false; missing: number[] }> {
    return pkg.serializeCommit(async () => {
      const record = pkg.record;
      record.commitCalls += 1;
      if (record.state === 'accepted') {
        await pkg.persist();
        return { accepted: true as const };
      }

      for (const [index, file] of record.files.entries()) {
        if (!file.complete && file.received === pkg.manifest.files[index]!.size) {
          await pkg.verifyFile(index);
        }
      }
      const missing = record.files.flatMap((file, index) => (file.complete ? [] : [index]));
      if (missing.length > 0) {
        await pkg.persist();
        return { accepted: false as const, missing };
      }

      record.state = 'accepted';
      record.receiptId = createReceiptId();
      record.acceptedAt = new Date().toISOString();
      record.acceptCount += 1;
      await pkg.persist();
      log('info', 'Package accepted', { packageId: record.packageId, receiptId: record.receiptId });
      return { accepted: true as const };
    });
  }

  /** Deletes every package from memory and disk. Uploads still running on them fail. */
  async clear(): Promise<number> {
    const count = this.packages.size;
    this.packages.clear();
    await rm(this.root, { recursive: true, force: true });
    await mkdir(this.root, { recursive: true });
    log('info', 'All packages deleted', { count });
    return count;
  }
}

async function loadPackage(dir: string, folderName: string): Promise<StoredPackage> {
  if (!PACKAGE_ID_PATTERN.test(folderName)) {
    throw new Error(`Folder name ${folderName} is not a valid package id.`);
  }
  const body = await readFile(path.join(dir, 'manifest.json'));
  const manifest = parseManifest(body, folderName);
  const record = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as PackageRecord;

  // Bytes written by a PATCH after the last state.json write (the simulator was killed mid-body)
  // are on disk, so the file size is the truth for files that are not complete yet, and those
  // bytes join bytesReceivedTotal.
  for (const [index, file] of record.files.entries()) {
    if (file.complete) {
      continue;
    }
    const filePath = path.join(dir, 'files', String(index));
    const expectedSize = manifest.files[index]!.size;
    const onDisk = await stat(filePath).then(
      (stats) => stats.size,
      () => 0,
    );
    if (onDisk > expectedSize) {
      await truncate(filePath, expectedSize);
    }
    if (onDisk === 0) {
      await (await open(filePath, 'a')).close();
    }
    const stored = Math.min(onDisk, expectedSize);
    record.bytesReceivedTotal += Math.max(0, stored - file.received);
    file.received = stored;
  }
  return new StoredPackage(dir, manifest, record);
}

/** Replaces `filePath` with `content` so a reader sees the old or the new content, never a mix. */
export async function writeFileAtomic(filePath: string, content: string | Buffer): Promise<void> {
  const temporaryPath = `${filePath}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporaryPath, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporaryPath, filePath);
  await syncDirectory(path.dirname(filePath));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function createReceiptId(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `YBA-${day}-${randomBytes(6).toString('hex').toUpperCase()}`;
}
