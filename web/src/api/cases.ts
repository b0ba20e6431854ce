import { request } from './client';

export type CaseSource = 'unified' | 'self-built';

export interface CaseSummary {
  id: number;
  name: string;
  caseNumber: string;
  /** YYYY-MM-DD */
  acceptedOn: string;
  stage: string;
  handlerName: string;
  source: CaseSource;
  suspectCount: number;
  sessionCount: number;
  lastSessionAt: string | null;
  /** When 大统一2.0 reported the case deleted (shown as 已在大统一删除); null otherwise. No new sessions then. */
  deletedInUnifiedAt: string | null;
}

export interface Suspect {
  id: number;
  name: string;
  idTypeCode: string;
  idTypeName: string;
  idNumberMasked: string;
  /** 'unified' for suspects from 大统一2.0, 'local' for those added in Tonglu. */
  source?: string;
  /** When the suspect disappeared from the case in 大统一2.0 (shown as 已在大统一移除); null otherwise. */
  removedInUnifiedAt?: string | null;
}

export interface CaseDetail extends CaseSummary {
  suspects: Suspect[];
}

export interface CaseListQuery {
  keyword?: string;
  page?: number;
  pageSize?: number;
  /** NOTE: not in the API contract yet. A server that ignores it returns cases of every source. */
  source?: CaseSource;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface NewSuspect {
  name: string;
  idTypeCode: string;
  idNumber: string;
}

export interface NewCase {
  name: string;
  caseNumber?: string;
  /** YYYY-MM-DD */
  acceptedOn: string;
  stage?: string;
  suspects: NewSuspect[];
}

export interface IdType {
  code: string;
  name: string;
}

export function listCases(query: CaseListQuery, isSilent = false): Promise<Page<CaseSummary>> {
  return request('/api/cases', { query: { ...query }, isSilent });
}

export function getCase(id: number): Promise<CaseDetail> {
  return request(`/api/cases/${id}`);
}

export function createCase(input: NewCase): Promise<CaseSummary> {
  return request('/api/cases', { method: 'POST', body: input });
}

export function listIdTypes(): Promise<IdType[]> {
  return request('/api/id-types');
}
