import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { pinyinInitials } from '../../lib/pinyin.js';
import type { Rejection, UnifiedCase, UnifiedSuspect } from './unified-record.js';

export type Trx = Transaction<Database>;

/** Counts of one batch of records, added to the run's totals in the same transaction. */
export interface BatchCounts {
  created: number;
  updated: number;
  deleted: number;
  /** Cases not applied because their 部门受案号 belongs to a case created in Tonglu. */
  rejected: number;
}

/** A rejected record or row, with its place in an imported file when there is one. */
export interface RejectedRow extends Rejection {
  sheet?: string | null;
  rowNumber?: number | null;
}

/** A validated record and the 嫌疑人编号 of its suspects that were rejected, which keep their stored values. */
export interface RecordToApply {
  record: UnifiedCase;
  rejectedSuspectIds: string[];
}

/**
 * Stage of a case in Tonglu from the 大统一2.0 案件状态: 办结 once the case is finished or archived, else 在办.
 * NOTE: the 2.0 status values are not published; this matches the words 办结, 完成, 归档 and 结案.
 */
export function stageOf(status: string | null): string {
  return status && /办结|完成|归档|结案/.test(status) ? '办结' : '在办';
}

/**
 * Applies validated 大统一2.0 records inside one transaction, keeping everything Tonglu added locally: grants,
 * sessions, self-built suspects and a handler set by 案件移交 (until 2.0 names another handler).
 */
export class UnifiedWriter {
  private readonly handlerCache = new Map<string, number | null>();

  constructor(
    private readonly trx: Trx,
    private readonly placeholderUserId: number,
    private readonly now: string,
  ) {}

  async apply(items: RecordToApply[]): Promise<{ counts: BatchCounts; rejected: RejectedRow[] }> {
    const counts: BatchCounts = { created: 0, updated: 0, deleted: 0, rejected: 0 };
    const rejected: RejectedRow[] = [];
    if (items.length === 0) return { counts, rejected };

    // A page may name one case twice (two versions); the later one wins because it is applied last.
    const numbers = [...new Set(items.map((item) => item.record.caseNumber))];
    const existingRows = await this.trx.selectFrom('cases').selectAll().where('case_number', 'in', numbers).execute();
    const existing = new Map(existingRows.map((row) => [row.case_number, row]));

    for (const { record, rejectedSuspectIds } of items) {
      const current = existing.get(record.caseNumber);
      if (!current) {
        // A case first seen already deleted in 2.0 is stored marked, so the list mirrors 2.0 and a restore finds it.
        const caseId = await this.insertCase(record);
        existing.set(record.caseNumber, await this.trx.selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirstOrThrow());
        counts.created += 1;
        continue;
      }

      if (current.source !== 'unified') {
        rejected.push({ reference: record.caseNumber, field: 'bmsah', reason: '部门受案号与本系统的自建案件相同，未导入，请核对。' });
        counts.rejected += 1;
        continue;
      }
      if (current.unified_updated_at && record.updatedAt < current.unified_updated_at) continue;
      const wasDeleted = current.deleted_in_unified_at !== null;
      if (current.unified_updated_at === record.updatedAt && wasDeleted === record.isDeleted) continue;

      const handlerChanged = record.handlerCode !== current.unified_handler_code;
      const handlerId = handlerChanged ? await this.handlerUserId(record.handlerCode, record.handlerName) : current.handler_id;
      const values = {
        ...this.caseFields(record),
        handler_id: handlerId,
        unified_handler_code: record.handlerCode,
        deleted_in_unified_at: record.isDeleted ? (current.deleted_in_unified_at ?? this.now) : null,
        dossier_pending: record.isDeleted ? current.dossier_pending : 1,
        updated_at: this.now,
      };
      await this.trx.updateTable('cases').set(values).where('id', '=', current.id).execute();
      await this.applySuspects(current.id, record.suspects, rejectedSuspectIds);
      existing.set(record.caseNumber, { ...current, ...values });

      if (record.isDeleted && !wasDeleted) counts.deleted += 1;
      else counts.updated += 1;
    }
    return { counts, rejected };
  }

  /** Returns the user of a 2.0 handler code, or the 待分配 placeholder; records unknown codes for the admin list. */
  async handlerUserId(code: string, name: string): Promise<number> {
    if (!this.handlerCache.has(code)) {
      const known = await this.trx.selectFrom('unified_handlers').select(['user_id']).where('code', '=', code).executeTakeFirst();
      let userId = known?.user_id ?? null;
      if (!known) {
        const user = await this.trx.selectFrom('users').select('id').where('employee_no', '=', code).executeTakeFirst();
        userId = user?.id ?? null;
        await this.trx
          .insertInto('unified_handlers')
          .values({ code, name, login_name: null, department_name: null, user_id: userId, updated_at: this.now })
          .onConflict((conflict) => conflict.column('code').doNothing())
          .execute();
      }
      this.handlerCache.set(code, userId);
    }
    return this.handlerCache.get(code) ?? this.placeholderUserId;
  }

  private caseFields(record: UnifiedCase) {
    return {
      name: record.name,
      name_initials: pinyinInitials(record.name),
      unified_number: record.unifiedNumber,
      category: record.categoryName,
      category_code: record.categoryCode,
      stage: stageOf(record.status),
      accepted_on: record.acceptedOn,
      unit_code: record.unitCode,
      department_code: record.departmentCode,
      department_name: record.departmentName,
      unified_updated_at: record.updatedAt,
    };
  }

  private async insertCase(record: UnifiedCase): Promise<number> {
    const inserted = await this.trx
      .insertInto('cases')
      .values({
        ...this.caseFields(record),
        case_number: record.caseNumber,
        department_id: null,
        handler_id: await this.handlerUserId(record.handlerCode, record.handlerName),
        unified_handler_code: record.handlerCode,
        source: 'unified',
        deleted_in_unified_at: record.isDeleted ? this.now : null,
        dossier_pending: record.isDeleted ? 0 : 1,
        created_at: this.now,
        updated_at: this.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (record.suspects.length > 0) {
      await this.trx
        .insertInto('suspects')
        .values(record.suspects.map((suspect) => ({ ...this.suspectFields(suspect), case_id: inserted.id, source: 'unified', created_at: this.now })))
        .execute();
    }
    return inserted.id;
  }

  private suspectFields(suspect: UnifiedSuspect) {
    return {
      external_id: suspect.externalId,
      name: suspect.name,
      name_initials: pinyinInitials(suspect.name),
      gender: suspect.gender,
      id_type_code: suspect.idTypeCode,
      id_type_name: suspect.idTypeName,
      id_number: suspect.idNumber,
      birth_date: suspect.birthDate,
    };
  }

  /**
   * Adds and updates the case's 2.0 suspects and marks those 2.0 no longer lists. No suspect is deleted: a marked
   * suspect keeps its sessions, and suspects added in Tonglu are not touched.
   */
  private async applySuspects(caseId: number, suspects: UnifiedSuspect[], rejectedIds: string[]): Promise<void> {
    const stored = await this.trx.selectFrom('suspects').selectAll().where('case_id', '=', caseId).where('external_id', 'is not', null).execute();
    const byExternalId = new Map(stored.map((row) => [row.external_id as string, row]));
    const listed = new Set(suspects.map((suspect) => suspect.externalId));

    for (const suspect of suspects) {
      const row = byExternalId.get(suspect.externalId);
      const fields = this.suspectFields(suspect);
      if (!row) {
        await this.trx.insertInto('suspects').values({ ...fields, case_id: caseId, source: 'unified', created_at: this.now }).execute();
        continue;
      }
      const isSame =
        row.name === fields.name &&
        row.gender === fields.gender &&
        row.id_type_code === fields.id_type_code &&
        row.id_type_name === fields.id_type_name &&
        row.id_number === fields.id_number &&
        row.birth_date === fields.birth_date &&
        row.removed_in_unified_at === null;
      if (!isSame) await this.trx.updateTable('suspects').set({ ...fields, removed_in_unified_at: null }).where('id', '=', row.id).execute();
    }

    const removedIds = stored
      .filter((row) => !listed.has(row.external_id as string) && !rejectedIds.includes(row.external_id as string) && row.removed_in_unified_at === null)
      .map((row) => row.id);
    if (removedIds.length > 0) {
      await this.trx.updateTable('suspects').set({ removed_in_unified_at: this.now }).where('id', 'in', removedIds).execute();
    }
  }
}

/** Counts a batch adds to its run; `rejected` counts cases and `rejectedSuspects` suspects, not reasons. */
export interface RunCounts extends BatchCounts {
  fetched: number;
  rejectedSuspects: number;
  dossierFiles?: number;
}

/** Stores rejected rows of a run and adds the batch counts to the run, inside the batch's transaction. */
export async function recordBatch(trx: Trx, runId: number, counts: RunCounts, rejected: RejectedRow[]): Promise<void> {
  for (let index = 0; index < rejected.length; index += 200) {
    await trx
      .insertInto('unified_rejected_rows')
      .values(
        rejected.slice(index, index + 200).map((row) => ({
          run_id: runId,
          sheet: row.sheet ?? null,
          row_number: row.rowNumber ?? null,
          reference: row.reference.slice(0, 120),
          field: row.field,
          reason: row.reason,
        })),
      )
      .execute();
  }
  await trx
    .updateTable('unified_sync_runs')
    .set((eb) => ({
      fetched: eb('fetched', '+', counts.fetched),
      created: eb('created', '+', counts.created),
      updated: eb('updated', '+', counts.updated),
      deleted: eb('deleted', '+', counts.deleted),
      rejected: eb('rejected', '+', counts.rejected),
      rejected_suspects: eb('rejected_suspects', '+', counts.rejectedSuspects),
      dossier_files: eb('dossier_files', '+', counts.dossierFiles ?? 0),
    }))
    .where('id', '=', runId)
    .execute();
}
