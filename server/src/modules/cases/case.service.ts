import { AppError, invalid } from '../../lib/errors.js';
import { nowIso } from '../../lib/time.js';
import { hasUnsafeCharacters, isCalendarDate, normalizeCaseNumber } from '../../lib/text.js';
import { isCaseAdmin, type AuthUser } from '../auth/auth.types.js';
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
}

export interface SuspectView {
  id: number;
  name: string;
  idTypeCode: string;
  idTypeName: string;
  idNumberMasked: string;
}

export interface NewCaseInput {
  name: string;
  caseNumber?: string;
  acceptedOn: string;
  stage?: string;
  suspects: { name: string; idTypeCode: string; idNumber: string }[];
}

export const caseStages = ['在办', '办结'] as const;

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
  };
}

/** Case rules: who may see a case, and how a self-built case is checked and numbered. */
export class CaseService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly courtShortName: string,
  ) {}

  async list(user: AuthUser, keyword: string, page: number, pageSize: number, source?: string): Promise<{ items: CaseSummary[]; total: number }> {
    const { rows, total } = await this.cases.list({
      handlerId: isCaseAdmin(user) ? null : user.id,
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
    if (!row || !this.canView(user, row.handler_id)) throw new AppError('CASE_NOT_FOUND');
    return row;
  }

  /** Loads a case the user may record against: its handler. */
  async getRecordable(user: AuthUser, caseId: number) {
    const row = await this.cases.findById(caseId);
    if (!row || row.handler_id !== user.id) throw new AppError('CASE_NOT_FOUND');
    return row;
  }

  canView(user: AuthUser, handlerId: number): boolean {
    return handlerId === user.id || isCaseAdmin(user);
  }

  async getDetail(user: AuthUser, caseId: number): Promise<CaseSummary & { suspects: SuspectView[] }> {
    await this.getVisible(user, caseId);
    const { rows } = await this.cases.list({ handlerId: null, keyword: '', caseId, offset: 0, limit: 1 });
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
      })),
    };
  }

  async create(user: AuthUser, input: NewCaseInput): Promise<number> {
    const name = input.name.trim();
    if (!name) throw invalid('请填写案件名称。');
    if (hasUnsafeCharacters(name)) throw invalid('案件名称中含有控制字符，请重新输入。');
    if (!isCalendarDate(input.acceptedOn)) throw invalid(`受理时间“${input.acceptedOn}”不是有效日期，请选择日期。`);
    if (input.acceptedOn < '1990-01-01') throw invalid('受理时间不能早于 1990 年，请核对后重新选择。');
    if (Date.parse(`${input.acceptedOn}T00:00:00Z`) > Date.now() + 24 * 3600_000) throw invalid('受理时间不能晚于今天。');
    const stage = input.stage ?? '在办';
    if (!(caseStages as readonly string[]).includes(stage)) throw invalid('案件状态只能是“在办”或“办结”。');
    if (input.suspects.length === 0) throw invalid('请至少填写一名嫌疑人。');

    const suspects = input.suspects.map((suspect, index) => {
      const position = input.suspects.length > 1 ? `第 ${index + 1} 名嫌疑人的` : '';
      const suspectName = suspect.name.trim();
      if (!suspectName) throw invalid(`请填写${position}对象姓名。`);
      if (hasUnsafeCharacters(suspectName)) throw invalid(`${position}对象姓名中含有控制字符，请重新输入。`);
      const idType = findIdType(suspect.idTypeCode);
      if (!idType) throw invalid(`${position}证件类型无效，请从列表中选择。`);
      const idNumber = suspect.idNumber.trim().toUpperCase();
      const problem = checkIdNumber(idType.code, idNumber);
      if (problem) throw invalid(`${position}${problem}`);
      return { name: suspectName, id_type_code: idType.code, id_type_name: idType.name, id_number: idNumber, created_at: nowIso() };
    });

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

  /** Generates 昆检自建[YYYY]NNNNNNNNNN: the court's short name, the year accepted and a 10-digit sequence. */
  private async nextSelfBuiltNumber(acceptedOn: string): Promise<string> {
    const prefix = `${this.courtShortName}自建[${acceptedOn.slice(0, 4)}]`;
    const count = await this.cases.countSelfBuiltInYear(prefix);
    return `${prefix}${String(count + 1).padStart(10, '0')}`;
  }
}
