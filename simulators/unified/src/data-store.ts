/**
 * The simulated 大统一2.0 data set: cases with suspects, the unit's people and the 电子卷宗 files.
 * With a data folder, every change is saved there (see dataset-file.ts), so a restarted simulator
 * serves the same data.
 */
import { createHash, randomInt } from 'node:crypto';

import { DatasetFile, type StoredCase } from './dataset-file.js';
import {
  CASE_STATES,
  DEFAULT_HANDLERS,
  generateAddedFile,
  generateCase,
  generateDossierFiles,
  generateName,
  generateSuspect,
  regenerateFileContent,
  sha256Hex,
  type GeneratedFile,
} from './generator.js';
import { generateOtherDocument, generateResidentId } from './id-numbers.js';
import { formatChinaTime, normalizeBmsah, type CaseRecord, type DossierFile, type Handler } from './model.js';
import { comparePageKeys, type PageKey } from './page-token.js';
import { log } from './log.js';
import { Random } from './random.js';

export interface CasePage {
  items: CaseRecord[];
  /** Position of the last item, or null when the page is empty. */
  lastKey: PageKey | null;
  hasMore: boolean;
}

export interface CaseChange {
  bmsah: string;
  /** Names of the changed fields, with `dossier` for changed files. */
  fields: string[];
}

export class DataStoreError extends Error {}


const UNIT_ABBREVIATIONS: Readonly<Record<string, string>> = { '320583': '昆', '320505': '虎', '320506': '吴中', '371329': '沭' };

export class DataStore {
  private readonly cases = new Map<string, StoredCase>();
  /** wjbh → normalized bmsah of the case that owns the file. */
  private readonly fileOwners = new Map<string, string>();
  /** sha256 → file bytes. */
  private readonly contents = new Map<string, Buffer>();
  private handlers: Handler[] = DEFAULT_HANDLERS.map((handler) => ({ ...handler }));
  private sequences: Record<string, number> = {};
  private nextFileNumber = 1;
  private lastGxsjMs = 0;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly dwbm: string,
    private readonly dataDir: string | null,
    private readonly datasetFile: DatasetFile | null,
  ) {}

  /** Opens the data set in `dataDir`, or an empty in-memory one when `dataDir` is null. */
  static async open(dwbm: string, dataDir: string | null): Promise<DataStore> {
    const datasetFile = dataDir === null ? null : new DatasetFile(dataDir);
    const store = new DataStore(dwbm, dataDir, datasetFile);
    if (datasetFile !== null) {
      await store.load(datasetFile);
    }
    return store;
  }

  get caseCount(): number {
    return this.cases.size;
  }

  listHandlers(): Handler[] {
    return this.handlers.map((handler) => ({ ...handler }));
  }

  async replaceHandlers(handlers: Handler[]): Promise<void> {
    this.handlers = handlers.map((handler) => ({ ...handler }));
    await this.save();
  }

  listCases(): CaseRecord[] {
    return this.sortedCases().map((stored) => structuredClone(stored.record));
  }

  /** Returns up to `limit` cases of unit `dwbm` after `after` in (gxsj, bmsah) order. */
  page(dwbm: string, after: PageKey | null, limit: number): CasePage {
    const remaining = this.sortedCases().filter(
      (stored) => stored.record.dwbm === dwbm && (after === null || comparePageKeys(keyOf(stored.record), after) > 0),
    );
    const items = remaining.slice(0, limit).map((stored) => structuredClone(stored.record));
    const last = items[items.length - 1];
    return { items, lastKey: last ? keyOf(last) : null, hasMore: remaining.length > limit };
  }

  /** Finds a case by its 部门受案号 in any bracket or digit width. */
  findCase(bmsah: string): { record: CaseRecord; files: DossierFile[] } | null {
    const stored = this.cases.get(normalizeBmsah(bmsah));
    return stored ? { record: structuredClone(stored.record), files: stored.files.map((file) => ({ ...file })) } : null;
  }

  fileContent(wjbh: string): { file: DossierFile; content: Buffer } | null {
    const owner = this.fileOwners.get(wjbh);
    const file = owner === undefined ? undefined : this.cases.get(owner)?.files.find((candidate) => candidate.wjbh === wjbh);
    const content = file ? this.contents.get(file.sha256) : undefined;
    return file && content ? { file: { ...file }, content } : null;
  }

  /** Generates `count` new cases that share one fresh gxsj, and returns their 部门受案号. */
  async generate(count: number, suspectsPerCase: number, seed: number = randomInt(2 ** 32)): Promise<string[]> {
    const random = new Random(seed);
    const nowMs = Date.now();
    const gxsj = formatChinaTime(this.nextGxsjMs());
    const year = Number(gxsj.slice(0, 4));
    const created: string[] = [];

    for (let i = 0; i < count; i += 1) {
      const sequence = (this.sequences[String(year)] ?? 0) + 1;
      this.sequences[String(year)] = sequence;
      const numbering = { dwbm: this.dwbm, unitAbbreviation: UNIT_ABBREVIATIONS[this.dwbm] ?? '某', year, sequence };
      const { record, files } = generateCase(random, numbering, this.handlers, suspectsPerCase, nowMs);
      const stored: StoredCase = { record: { ...record, gxsj }, files: [], dossierVersion: 1 };
      this.addFiles(stored, files, gxsj);
      this.cases.set(normalizeBmsah(record.bmsah), stored);
      created.push(record.bmsah);
    }

    await this.save();
    return created;
  }

  /**
   * Changes up to `count` random cases that are not deleted. Each gets a new 案件状态, and by chance
   * also a new handler, changed suspect data, an added suspect or changed dossier files. All changed
   * cases share one fresh gxsj.
   */
  async change(count: number, seed: number = randomInt(2 ** 32)): Promise<CaseChange[]> {
    const random = new Random(seed);
    const gxsj = formatChinaTime(this.nextGxsjMs());
    const changes: CaseChange[] = [];

    for (const stored of this.pickLiveCases(random, count)) {
      const record = stored.record;
      const fields = new Set<string>(['ajzt']);
      record.ajzt = random.pick(CASE_STATES.filter((state) => state !== record.ajzt));

      const otherHandlers = this.handlers.filter((handler) => handler.gh !== record.cbrgh);
      if (otherHandlers.length > 0 && random.chance(0.35)) {
        const handler = random.pick(otherHandlers);
        Object.assign(record, { cbrgh: handler.gh, cbr: handler.xm, cbbm_bm: handler.bm_bm, cbbm_mc: handler.bm_mc });
        ['cbrgh', 'cbr', 'cbbm_bm', 'cbbm_mc'].forEach((field) => fields.add(field));
      }
      if (record.xyr.length > 0 && random.chance(0.35)) {
        changeSuspect(random, record);
        fields.add('xyr');
      }
      if (random.chance(0.1)) {
        const xyrbh = String(Math.max(0, ...record.xyr.map((suspect) => Number(suspect.xyrbh) || 0)) + 1);
        record.xyr.push(generateSuspect(random, xyrbh, Date.now()));
        fields.add('xyr');
      }
      if (random.chance(0.3)) {
        this.changeDossier(random, stored, gxsj);
        fields.add('dossier');
      }

      record.gxsj = gxsj;
      changes.push({ bmsah: record.bmsah, fields: [...fields] });
    }

    await this.save();
    return changes;
  }

  /** Marks up to `count` random live cases as deleted (sfsc Y) with one fresh gxsj, and returns their 部门受案号. */
  async delete(count: number, seed: number = randomInt(2 ** 32)): Promise<string[]> {
    const random = new Random(seed);
    const gxsj = formatChinaTime(this.nextGxsjMs());
    const deleted = this.pickLiveCases(random, count).map((stored) => {
      stored.record.sfsc = 'Y';
      stored.record.gxsj = gxsj;
      return stored.record.bmsah;
    });
    await this.save();
    return deleted;
  }

  /**
   * Inserts or replaces cases as sent, keyed by the normalized 部门受案号. Cases without gxsj get one
   * fresh gxsj, and a new case gets generated dossier files. Throws DataStoreError on an unusable item.
   */
  async upsert(items: unknown[]): Promise<string[]> {
    const records = items.map((item, index) => readUpsertItem(item, index, this.dwbm));
    const freshGxsj = records.some((record) => record.gxsj === undefined) ? formatChinaTime(this.nextGxsjMs()) : null;

    const upserted: string[] = [];
    for (const partial of records) {
      const record = { ...partial, gxsj: partial.gxsj ?? freshGxsj! } as CaseRecord;
      this.lastGxsjMs = Math.max(this.lastGxsjMs, Date.parse(record.gxsj));
      const key = normalizeBmsah(record.bmsah);
      const existing = this.cases.get(key);
      if (existing) {
        existing.record = record;
      } else {
        const stored: StoredCase = { record, files: [], dossierVersion: 1 };
        const random = new Random(hashText(key));
        const files = generateDossierFiles(random, record, 1);
        this.addFiles(stored, files, record.gxsj);
        this.cases.set(key, stored);
      }
      upserted.push(record.bmsah);
    }

    await this.save();
    return upserted;
  }

  /** Removes every case and file. The handlers and the number sequences stay. */
  async clear(): Promise<void> {
    this.cases.clear();
    this.fileOwners.clear();
    this.contents.clear();
    await this.save();
  }

  /** Returns a gxsj later than every gxsj served so far, so incremental pulls never miss a change. */
  private nextGxsjMs(): number {
    const nowSeconds = Math.floor(Date.now() / 1000) * 1000;
    this.lastGxsjMs = Math.max(nowSeconds, Math.floor(this.lastGxsjMs / 1000) * 1000 + 1000);
    return this.lastGxsjMs;
  }

  private sortedCases(): StoredCase[] {
    return [...this.cases.values()].sort((a, b) => comparePageKeys(keyOf(a.record), keyOf(b.record)));
  }

  private pickLiveCases(random: Random, count: number): StoredCase[] {
    const live = this.sortedCases().filter((stored) => stored.record.sfsc !== 'Y');
    return random
      .shuffledIndexes(live.length)
      .slice(0, count)
      .map((index) => live[index]!);
  }

  private addFiles(stored: StoredCase, files: GeneratedFile[], gxsj: string): void {
    const key = normalizeBmsah(stored.record.bmsah);
    for (const { file, content } of files) {
      const wjbh = `F${String(this.nextFileNumber).padStart(7, '0')}`;
      this.nextFileNumber += 1;
      stored.files.push({ wjbh, ...file, gxsj });
      this.fileOwners.set(wjbh, key);
      this.contents.set(file.sha256, content);
    }
  }

  /** Rewrites one file's bytes (same wjbh, new sha256) or adds a file. */
  private changeDossier(random: Random, stored: StoredCase, gxsj: string): void {
    stored.dossierVersion += 1;
    if (stored.files.length === 0 || random.chance(0.3)) {
      this.addFiles(stored, [generateAddedFile(stored.record, stored.dossierVersion)], gxsj);
      return;
    }
    const file = random.pick(stored.files);
    const content = regenerateFileContent(random, file, stored.record, stored.dossierVersion);
    const sha256 = sha256Hex(content);
    file.sha256 = sha256;
    file.wjdx = content.length;
    file.gxsj = gxsj;
    this.contents.set(sha256, content);
  }

  private async load(file: DatasetFile): Promise<void> {
    const loaded = await file.load();
    if (loaded === null) {
      return;
    }
    const { state, contents } = loaded;
    if (state.dwbm !== this.dwbm) {
      log('warn', 'The data set was written for another unit, and its cases keep their dwbm', { stored: state.dwbm, configured: this.dwbm });
    }
    this.handlers = state.handlers;
    this.sequences = state.sequences;
    this.nextFileNumber = state.nextFileNumber;
    this.lastGxsjMs = state.lastGxsjMs;
    for (const [sha256, content] of contents) {
      this.contents.set(sha256, content);
    }
    for (const stored of state.cases) {
      const key = normalizeBmsah(stored.record.bmsah);
      this.cases.set(key, stored);
      for (const dossierFile of stored.files) {
        this.fileOwners.set(dossierFile.wjbh, key);
      }
    }
    log('info', 'Loaded the data set', { dataDir: this.dataDir, cases: this.cases.size });
  }

  /**
   * Persists the state as it is when the write starts. Saves are serialized, and the returned promise
   * settles when the state of this call (or a later one) is on disk.
   */
  private save(): Promise<void> {
    const file = this.datasetFile;
    if (file === null) {
      return Promise.resolve();
    }
    const written = this.saving.then(() =>
      file.save(
        {
          dwbm: this.dwbm,
          sequences: { ...this.sequences },
          nextFileNumber: this.nextFileNumber,
          lastGxsjMs: this.lastGxsjMs,
          handlers: this.handlers,
          cases: [...this.cases.values()],
        },
        this.contents,
      ),
    );
    this.saving = written.catch(() => undefined);
    return written;
  }
}

function keyOf(record: CaseRecord): PageKey {
  return { gxsjMs: Date.parse(record.gxsj), bmsah: record.bmsah };
}

function hashText(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function readUpsertItem(item: unknown, index: number, dwbm: string): Omit<CaseRecord, 'gxsj'> & { gxsj?: string } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new DataStoreError(`cases[${index}] must be a JSON object.`);
  }
  const candidate = item as Record<string, unknown>;
  if (typeof candidate['bmsah'] !== 'string' || candidate['bmsah'].trim() === '') {
    throw new DataStoreError(`cases[${index}].bmsah is missing or empty.`);
  }
  if (candidate['gxsj'] !== undefined && (typeof candidate['gxsj'] !== 'string' || Number.isNaN(Date.parse(candidate['gxsj'])))) {
    throw new DataStoreError(`cases[${index}].gxsj is not an ISO 8601 time: ${JSON.stringify(candidate['gxsj'])}.`);
  }
  if (candidate['xyr'] !== undefined && !Array.isArray(candidate['xyr'])) {
    throw new DataStoreError(`cases[${index}].xyr must be an array of suspects.`);
  }
  return { dwbm, sfsc: 'N', xyr: [], ...candidate } as unknown as Omit<CaseRecord, 'gxsj'> & { gxsj?: string };
}

/** Corrects a suspect's name, gives a new resident ID number, or switches to another 证件类型. */
function changeSuspect(random: Random, record: CaseRecord): void {
  const suspect = random.pick(record.xyr);
  const choice = random.integer(1, 3);
  if (choice === 1) {
    suspect.xm = generateName(random);
  } else if (choice === 2) {
    Object.assign(suspect, { zjlx_dm: '111', zjlx_mc: '居民身份证', zjhm: generateResidentId(random, suspect.csrq, suspect.xb === '男') });
  } else {
    Object.assign(suspect, generateOtherDocument(random));
  }
}
