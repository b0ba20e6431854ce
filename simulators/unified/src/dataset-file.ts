/**
 * On-disk form of the data set in the data folder: `dataset.json` (cases, dossier metadata, handlers,
 * sequences and where each file's bytes are) and `files/pack-NNNNNN.bin` (file bytes, one pack per
 * save). Every file is written to a temporary name, fsynced and renamed, and a save writes its pack
 * before the dataset.json that points into it, so a kill at any moment leaves the last complete save.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

import type { CaseRecord, DossierFile, Handler } from './model.js';

export interface StoredCase {
  record: CaseRecord;
  files: DossierFile[];
  /** Incremented whenever a change rewrites dossier files. */
  dossierVersion: number;
}

export interface DatasetState {
  dwbm: string;
  /** Last sequence number used per year, for 部门受案号 and 统一受案号. */
  sequences: Record<string, number>;
  nextFileNumber: number;
  lastGxsjMs: number;
  handlers: Handler[];
  cases: StoredCase[];
}

interface ContentLocation {
  pack: string;
  offset: number;
  length: number;
}

interface DatasetJson extends DatasetState {
  format: 1;
  /** sha256 → where the bytes are. */
  contents: Record<string, ContentLocation>;
}

export class DatasetFileError extends Error {}

const DATASET_FILE = 'dataset.json';
const PACK_PATTERN = /^pack-(\d{6})\.bin$/;

export class DatasetFile {
  private readonly locations = new Map<string, ContentLocation>();
  private nextPackNumber = 1;

  constructor(private readonly dataDir: string) {}

  private get filesDir(): string {
    return path.join(this.dataDir, 'files');
  }

  /** Reads the data set, or returns null when the folder has none yet. Throws DatasetFileError on damage. */
  async load(): Promise<{ state: DatasetState; contents: Map<string, Buffer> } | null> {
    await mkdir(this.filesDir, { recursive: true });
    for (const name of await readdir(this.filesDir)) {
      const match = PACK_PATTERN.exec(name);
      if (match) {
        this.nextPackNumber = Math.max(this.nextPackNumber, Number(match[1]) + 1);
      }
    }

    const datasetPath = path.join(this.dataDir, DATASET_FILE);
    let text: string;
    try {
      text = await readFile(datasetPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return null;
      }
      throw error;
    }

    let json: DatasetJson;
    try {
      json = JSON.parse(text) as DatasetJson;
    } catch (error) {
      throw new DatasetFileError(`${datasetPath} is not valid JSON (${(error as Error).message}). Delete it or use another --data-dir.`);
    }
    if (json.format !== 1) {
      throw new DatasetFileError(`${datasetPath} has unknown format ${String(json.format)}. Delete it or use another --data-dir.`);
    }

    const packs = new Map<string, Buffer>();
    const contents = new Map<string, Buffer>();
    for (const [sha256, location] of Object.entries(json.contents)) {
      let pack = packs.get(location.pack);
      if (pack === undefined) {
        pack = await readFile(path.join(this.filesDir, location.pack));
        packs.set(location.pack, pack);
      }
      const content = pack.subarray(location.offset, location.offset + location.length);
      if (createHash('sha256').update(content).digest('hex') !== sha256) {
        throw new DatasetFileError(`${location.pack} at offset ${location.offset} does not hold the bytes of ${sha256}. Delete ${this.dataDir} or use another --data-dir.`);
      }
      contents.set(sha256, content);
      this.locations.set(sha256, location);
    }

    const { format: _format, contents: _locations, ...state } = json;
    return { state, contents };
  }

  /**
   * Writes the bytes not saved before as one pack, then dataset.json. The state and contents are
   * serialized before the first await, so changes made while the files are written wait for the next save.
   */
  async save(state: DatasetState, contents: ReadonlyMap<string, Buffer>): Promise<void> {
    const pack = `pack-${String(this.nextPackNumber).padStart(6, '0')}.bin`;
    const packParts: Buffer[] = [];
    const packLocations = new Map<string, ContentLocation>();
    const locations: Record<string, ContentLocation> = {};
    let offset = 0;
    for (const [sha256, content] of contents) {
      let location = this.locations.get(sha256);
      if (location === undefined) {
        location = { pack, offset, length: content.length };
        packLocations.set(sha256, location);
        packParts.push(content);
        offset += content.length;
      }
      locations[sha256] = location;
    }
    const json: DatasetJson = { format: 1, ...state, contents: locations };
    const text = JSON.stringify(json);

    if (packParts.length > 0) {
      this.nextPackNumber += 1;
      await writeFileAtomically(path.join(this.filesDir, pack), Buffer.concat(packParts));
      for (const [sha256, location] of packLocations) {
        this.locations.set(sha256, location);
      }
    }
    await writeFileAtomically(path.join(this.dataDir, DATASET_FILE), Buffer.from(text, 'utf8'));
  }
}

/** Writes `content` to a temporary file, fsyncs it and renames it to `target`. */
async function writeFileAtomically(target: string, content: Buffer): Promise<void> {
  const temporary = `${target}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
}
