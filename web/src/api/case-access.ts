import type { CaseDetail, Page } from './cases';
import { request } from './client';
import type { Session } from './sessions';

export interface Person {
  id: number;
  displayName: string;
  username: string;
  departmentName: string | null;
}

export interface Grant {
  userId: number;
  displayName: string;
  username: string;
  departmentName: string | null;
  grantedAt: string;
  grantedByName: string;
}

export type RecordedCaseSortKey = 'acceptedOn' | 'name' | 'caseNumber' | 'lastSessionAt' | 'sessionCount';

export interface RecordedCaseQuery {
  caseName?: string;
  caseNumber?: string;
  suspectName?: string;
  /** YYYY-MM-DD */
  acceptedFrom?: string;
  /** YYYY-MM-DD */
  acceptedTo?: string;
  sortBy?: RecordedCaseSortKey;
  order?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
}

export interface RecordedCase {
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
  /** The user's relation to the case: handler, grantee, or operator of a session with no right now. */
  relation: 'handler' | 'grantee' | 'operator';
}

export interface CaseUpdate {
  name: string;
  caseNumber?: string;
  acceptedOn: string;
  stage?: string;
  /** Suspects with an id are kept; an empty idNumber keeps the stored one. Suspects left out are removed. */
  suspects: { id?: number; name: string; idTypeCode: string; idNumber?: string }[];
}

export interface BackfillInput {
  caseId: number;
  suspectId: number;
  roomId: number;
  /** ISO 8601 */
  startedAt: string;
  /** ISO 8601 */
  endedAt: string;
  reason: string;
}

export function searchGrantCandidates(keyword = ''): Promise<Person[]> {
  return request('/api/grant-candidates', { query: { keyword } });
}

export function listGrants(caseId: number): Promise<Grant[]> {
  return request(`/api/cases/${caseId}/grants`);
}

export function replaceGrants(caseId: number, granteeIds: number[]): Promise<{ added: number[]; removed: number[]; grants: Grant[] }> {
  return request(`/api/cases/${caseId}/grants`, { method: 'PUT', body: { granteeIds } });
}

export function listRecordedCases(query: RecordedCaseQuery): Promise<Page<RecordedCase>> {
  return request('/api/recorded-cases', { query: { ...query }, isSilent: true });
}

export function listActiveSessions(): Promise<Session[]> {
  return request('/api/sessions/active', { isSilent: true });
}

export function updateCase(id: number, input: CaseUpdate): Promise<CaseDetail> {
  return request(`/api/cases/${id}`, { method: 'PUT', body: input });
}

export function createBackfill(input: BackfillInput): Promise<Session> {
  return request('/api/backfills', { method: 'POST', body: input });
}

export function transferCase(caseId: number, handlerId: number, revokeGranteeIds: number[]): Promise<CaseDetail> {
  return request(`/api/cases/${caseId}/transfer`, { method: 'POST', body: { handlerId, revokeGranteeIds } });
}
