import { AppError, invalid } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import { hasUnsafeCharacters, isCalendarDate, normalizeCaseNumber } from '../../lib/text.js';
import { isCaseAdmin, type AuthUser } from '../auth/auth.types.js';
import type { CaseAccessService, CaseAccessRef } from './case-access.service.js';
import type { CaseListRow, CaseRepository } from './case.repository.js';
import { checkIdNumber, findIdType, maskIdNumber } from './id-number.js';

export interface CaseSummary {
  id: number;
  name: string;
  caseNumber: string;
  acceptedOn: string;
  stage: string;
  handlerName: string;
  source: string;
  suspectCount: number;
  sessionCount: number;
  lastSessionAt: string | null;
  /** When 大统一2.0 reported the case deleted (shown as 已在大统一删除); null otherwise. */
  deletedInUnifiedAt: string | null;
}

export interface SuspectView {
  id: number;
  name: string;
  idTypeCode: string;
  idTypeName: string;
  idNumberMasked: string;
  /** 'unified' for suspects from 大统一2.0, 'local' for those added in Tonglu. */
  source: string;
  /** When the suspect disappeared from the case in 大统一2.0; null otherwise. */
  removedInUnifiedAt: string | null;
}

export interface NewCaseInput {
  name: string;
  caseNumber?: string;
  acceptedOn: string;
  stage?: string;
  suspects: { name: string; idTypeCode: string; idNumber: string }[];
}

export interface CaseUpdateInput extends Omit<NewCaseInput, 'suspects'> {
  /** Suspects with an id are kept and changed, those without are added; the case's others are removed. */
  suspects: { id?: number; name: string; idTypeCode: string; idNumber?: string }[];
}

export const caseStages = ['在办', '办结'] as const;

/** Checks the case fields of the self-built case form and returns them trimmed. */
function checkCaseFields(input: { name: string; acceptedOn: string; stage?: string }): { name: string; stage: string } {
  const name = input.name.trim();
  if (!name) throw invalid('请填写案件名称。');
  if (hasUnsafeCharacters(name)) throw invalid('案件名称中含有控制字符，请重新输入。');
  if (!isCalendarDate(input.acceptedOn)) throw invalid(`受理时间“${input.acceptedOn}”不是有效日期，请选择日期。`);
  if (input.acceptedOn < '1990-01-01') throw invalid('受理时间不能早于 1990 年，请核对后重新选择。');
  if (Date.parse(`${input.acceptedOn}T00:00:00Z`) > Date.now() + 24 * 3600_000) throw invalid('受理时间不能晚于今天。');
  const stage = input.stage ?? '在办';
  if (!(caseStages as readonly string[]).includes(stage)) throw invalid('案件状态只能是“在办”或“办结”。');
  return { name, stage };
}

/** Checks one suspect of the form; `index` and `count` name the suspect in the message when there are several. */
function checkSuspect(suspect: { name: string; idTypeCode: string; idNumber: string }, index: number, count: number) {
  const position = count > 1 ? `第 ${index + 1} 名嫌疑人的` : '';
  const suspectName = suspect.name.trim();
  if (!suspectName) throw invalid(`请填写${position}对象姓名。`);
  if (hasUnsafeCharacters(suspectName)) throw invalid(`${position}对象姓名中含有控制字符，请重新输入。`);
  const idType = findIdType(suspect.idTypeCode);
  if (!idType) throw invalid(`${position}证件类型无效，请从列表中选择。`);
  const idNumber = suspect.idNumber.trim().toUpperCase();
  const problem = checkIdNumber(idType.code, idNumber);
  if (problem) throw invalid(`${position}${problem}`);
  return { name: suspectName, id_type_code: idType.code, id_type_name: idType.name, id_number: idNumber };
}

function toSummary(row: CaseListRow): CaseSummary {
  return {
    id: row.id,
    name: row.name,
    caseNumber: row.case_number,
    acceptedOn: row.accepted_on,
    stage: row.stage,
    handlerName: row.handler_name,
    source: row.source,
    suspectCount: row.suspect_count,
    sessionCount: row.session_count,
    lastSessionAt: row.last_session_at,
    deletedInUnifiedAt: row.deleted_in_unified_at,
  };
}

/** Case rules: who may see a case, and how a self-built case is checked and numbered. */
export class CaseService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly courtShortName: string,
    private readonly access: CaseAccessService,
  ) {}

  async list(user: AuthUser, keyword: string, page: number, pageSize: number, source?: string): Promise<{ items: CaseSummary[]; total: number }> {
    const { rows, total } = await this.cases.list({
      visibleTo: isCaseAdmin(user) ? null : user.id,
      keyword: keyword.trim(),
      source,
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
    return { items: rows.map(toSummary), total };
  }

  /** Loads a case the user may see; others get "not found" so they cannot learn that it exists. */
  async getVisible(user: AuthUser, caseId: number) {
    const row = await this.cases.findById(caseId);
    if (!row || !(await this.access.canView(user, row))) throw new AppError('CASE_NOT_FOUND');
    return row;
  }

  /** Loads a case the user may start a session on: its handler or a grantee, and not deleted in 大统一2.0. */
  async getRecordable(user: AuthUser, caseId: number) {
    const row = await this.cases.findById(caseId);
    if (!row || !(await this.access.canRecord(user, row))) throw new AppError('CASE_NOT_FOUND');
    if (row.deleted_in_unified_at !== null) throw new AppError('CASE_DELETED_IN_UNIFIED');
    return row;
  }

  async canView(user: AuthUser, caseRef: CaseAccessRef): Promise<boolean> {
    return this.access.canView(user, caseRef);
  }

  async canRecord(user: AuthUser, caseRef: CaseAccessRef): Promise<boolean> {
    return this.access.canRecord(user, caseRef);
  }

  async getDetail(user: AuthUser, caseId: number): Promise<CaseSummary & { suspects: SuspectView[] }> {
    await this.getVisible(user, caseId);
    const { rows } = await this.cases.list({ visibleTo: null, keyword: '', caseId, offset: 0, limit: 1 });
    const row = rows[0];
    if (!row) throw new AppError('CASE_NOT_FOUND');
    const suspects = await this.cases.listSuspects(caseId);
    return {
      ...toSummary(row),
      suspects: suspects.map((suspect) => ({
        id: suspect.id,
        name: suspect.name,
        idTypeCode: suspect.id_type_code,
        idTypeName: suspect.id_type_name,
        idNumberMasked: maskIdNumber(suspect.id_number),
        source: suspect.source,
        removedInUnifiedAt: suspect.removed_in_unified_at,
      })),
    };
  }

  async create(user: AuthUser, input: NewCaseInput): Promise<number> {
    const { name, stage } = checkCaseFields(input);
    if (input.suspects.length === 0) throw invalid('请至少填写一名嫌疑人。');
    const suspects = input.suspects.map((suspect, index) => ({ ...checkSuspect(suspect, index, input.suspects.length), created_at: nowIso() }));

    const typedNumber = input.caseNumber ? normalizeCaseNumber(input.caseNumber) : '';
    if (hasUnsafeCharacters(typedNumber)) throw invalid('部门受案号中含有控制字符，请重新输入。');
    const caseNumber = typedNumber || (await this.nextSelfBuiltNumber(input.acceptedOn));
    if (await this.cases.isCaseNumberTaken(caseNumber)) throw new AppError('CASE_NUMBER_TAKEN');

    const now = nowIso();
    try {
      return await this.cases.insertWithSuspects(
        {
          name,
          case_number: caseNumber,
          unified_number: null,
          category: null,
          stage,
          accepted_on: input.acceptedOn,
          department_id: null,
          handler_id: user.id,
          source: 'self-built',
          created_at: now,
          updated_at: now,
        },
        suspects,
      );
    } catch (error) {
      // Two requests can pick the same generated number; the unique index rejects the second.
      if (await this.cases.isCaseNumberTaken(caseNumber)) throw new AppError('CASE_NUMBER_TAKEN', undefined, { cause: error });
      throw error;
    }
  }

  /**
   * Edits a self-built case: its fields and its suspects. A suspect sent without an ID number keeps the stored
   * one, because lists show it masked. A suspect left out is removed, unless a session was recorded with it.
   */
  async update(user: AuthUser, caseId: number, input: CaseUpdateInput): Promise<void> {
    const caseRow = await this.getVisible(user, caseId);
    if (caseRow.handler_id !== user.id && !isCaseAdmin(user)) throw new AppError('CASE_NOT_FOUND');
    if (caseRow.source !== 'self-built') throw new AppError('CASE_NOT_SELF_BUILT');
    const { name, stage } = checkCaseFields(input);
    if (input.suspects.length === 0) throw invalid('请至少填写一名嫌疑人。');

    const stored = await this.cases.listSuspects(caseId);
    const keptIds = input.suspects.flatMap((suspect) => (suspect.id === undefined ? [] : [suspect.id]));
    if (new Set(keptIds).size !== keptIds.length) throw invalid('嫌疑人信息中有重复的记录，请刷新页面后重试。');
    const changes = input.suspects.map((suspect, index) => {
      const existing = suspect.id === undefined ? undefined : stored.find((row) => row.id === suspect.id);
      if (suspect.id !== undefined && !existing) throw new AppError('SUSPECT_NOT_IN_CASE');
      const idNumber = suspect.idNumber?.trim() || (existing && existing.id_type_code === suspect.idTypeCode ? existing.id_number : '');
      if (!idNumber) throw invalid(`请填写${input.suspects.length > 1 ? `第 ${index + 1} 名嫌疑人的` : ''}证件号。`);
      return { id: suspect.id, values: checkSuspect({ ...suspect, idNumber }, index, input.suspects.length) };
    });
    const removedIds = stored.filter((row) => !keptIds.includes(row.id)).map((row) => row.id);
    if (removedIds.length > 0 && (await this.cases.countSessionsOfSuspects(removedIds)) > 0) throw new AppError('SUSPECT_HAS_SESSIONS');

    const caseNumber = input.caseNumber?.trim() || caseRow.case_number;
    if (caseNumber !== caseRow.case_number && (await this.cases.isCaseNumberTaken(caseNumber))) throw new AppError('CASE_NUMBER_TAKEN');

    await this.cases.updateWithSuspects(
      caseId,
      { name, case_number: caseNumber, accepted_on: input.acceptedOn, stage, updated_at: nowIso() },
      changes,
      removedIds,
    );
  }

  /** Generates 昆检自建[YYYY]NNNNNNNNNN: the court's short name, the year accepted and a 10-digit sequence. */
  private async nextSelfBuiltNumber(acceptedOn: string): Promise<string> {
    const prefix = `${this.courtShortName}自建[${acceptedOn.slice(0, 4)}]`;
    const count = await this.cases.countSelfBuiltInYear(prefix);
    return `${prefix}${String(count + 1).padStart(10, '0')}`;
  }
}
