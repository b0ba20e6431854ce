import { invalid } from '../../lib/errors.js';
import type { AuthUser } from '../auth/auth.types.js';
import type { RecordedCaseRepository, RecordedCaseSortKey } from './recorded-case.repository.js';

export interface RecordedCaseQuery {
  caseName?: string;
  caseNumber?: string;
  suspectName?: string;
  acceptedFrom?: string;
  acceptedTo?: string;
  sortBy?: RecordedCaseSortKey;
  order?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
}

export interface RecordedCaseView {
  id: number;
  name: string;
  caseNumber: string;
  acceptedOn: string;
  stage: string;
  source: string;
  handlerName: string;
  suspectNames: string;
  sessionCount: number;
  lastSessionAt: string | null;
  /** 承办人, 授权人员 or 曾同录 (operated a session but has no right on the case now). */
  relation: 'handler' | 'grantee' | 'operator';
}

function checkDate(value: string | undefined, label: string): string | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw invalid(`${label}的格式不正确，请选择日期。`);
  return value;
}

/** 同录案件列表 with search by case name, 部门受案号, suspect name (also pinyin initials) and accepted-date range. */
export class RecordedCaseService {
  constructor(private readonly repository: RecordedCaseRepository) {}

  async list(user: AuthUser, query: RecordedCaseQuery): Promise<{ items: RecordedCaseView[]; total: number }> {
    const acceptedFrom = checkDate(query.acceptedFrom, '受理日期的开始日期');
    const acceptedTo = checkDate(query.acceptedTo, '受理日期的结束日期');
    if (acceptedFrom && acceptedTo && acceptedFrom > acceptedTo) throw invalid('受理日期的开始日期不能晚于结束日期。');
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;

    await this.repository.fillMissingInitials();
    const { rows, total } = await this.repository.list({
      userId: user.id,
      caseName: query.caseName ?? '',
      caseNumber: query.caseNumber ?? '',
      suspectName: query.suspectName ?? '',
      acceptedFrom,
      acceptedTo,
      sortBy: query.sortBy ?? 'acceptedOn',
      order: query.order ?? 'desc',
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
    const relationOf = (row: (typeof rows)[number]): RecordedCaseView['relation'] => {
      if (row.handler_id === user.id) return 'handler';
      if (row.is_grantee === 1) return 'grantee';
      return 'operator';
    };
    const items = rows.map((row): RecordedCaseView => ({
      id: row.id,
      name: row.name,
      caseNumber: row.case_number,
      acceptedOn: row.accepted_on,
      stage: row.stage,
      source: row.source,
      handlerName: row.handler_name,
      suspectNames: row.suspect_names ?? '',
      sessionCount: row.session_count,
      lastSessionAt: row.last_session_at,
      relation: relationOf(row),
    }));
    return { items, total };
  }
}
