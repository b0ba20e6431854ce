import { request } from './client';

export interface AuditEvent {
  id: number;
  /** Position in the hash chain. */
  seq: number | null;
  at: string;
  username: string | null;
  displayName: string | null;
  role: string | null;
  roleLabel: string;
  clientIp: string | null;
  action: string;
  actionLabel: string;
  targetType: string | null;
  targetId: string | null;
  result: 'success' | 'failure';
  resultLabel: string;
  details: string | null;
}

export type AuditSortColumn = 'at' | 'username' | 'action' | 'result' | 'clientIp';

export interface AuditSearch {
  from?: string;
  to?: string;
  username?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  result?: 'success' | 'failure' | '';
  clientIp?: string;
  sortBy?: AuditSortColumn;
  order?: 'asc' | 'desc';
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  expected: number;
  brokenId: number | null;
  brokenSeq: number | null;
  reason: string | null;
  /** Chinese summary written by the server. */
  message: string;
}

export interface FileAccess {
  id: number;
  at: string;
  username: string | null;
  displayName: string | null;
  clientIp: string | null;
  action: 'file.play' | 'file.download';
  actionLabel: string;
  result: string;
  fileId: number;
  fileName: string;
  sessionId: number;
}

export function searchAuditEvents(search: AuditSearch, page: number, pageSize: number) {
  return request<{ items: AuditEvent[]; total: number }>('/api/audit/events', { query: { ...search, page, pageSize } });
}

export function listAuditActions() {
  return request<{ code: string; label: string }[]>('/api/audit/actions');
}

export function verifyAuditLog() {
  return request<AuditVerification>('/api/audit/verify', { method: 'POST', timeoutMs: 300_000 });
}

/** URL that downloads the current search as CSV or Excel; the browser streams it straight to disk. */
export function getAuditExportUrl(search: AuditSearch, format: 'csv' | 'xlsx'): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(search)) {
    if (value !== undefined && value !== null && value !== '') params.append(key, String(value));
  }
  return `/api/audit/export?${params.toString()}`;
}

export function listCaseFileAccess(caseId: number) {
  return request<FileAccess[]>(`/api/cases/${caseId}/file-access`, { isSilent: true });
}
