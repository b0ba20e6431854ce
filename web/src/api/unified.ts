import { ApiError, getCsrfHeaders, request } from './client';
import type { Page } from './cases';

/** One 大统一2.0 pull or file import with its counts. */
export interface SyncRun {
  id: number;
  /** schedule (定时), manual (立即同步) or file (文件导入). */
  trigger: 'schedule' | 'manual' | 'file';
  triggeredBy: string | null;
  fileName: string | null;
  startedAt: string;
  finishedAt: string | null;
  state: 'running' | 'succeeded' | 'failed';
  fetched: number;
  created: number;
  updated: number;
  deleted: number;
  /** Cases not imported: records, items of `cases` or rows of the 案件 sheet. */
  rejected: number;
  /** Suspects left out of imported cases, and 嫌疑人 rows naming no case of the file. */
  rejectedSuspects: number;
  dossierFiles: number;
  error: string | null;
}

export interface SyncStatus {
  isConfigured: boolean;
  intervalMinutes: number;
  isRunning: boolean;
  lastRun: SyncRun | null;
  nextRunAt: string | null;
  unmatchedHandlerCount: number;
}

/** A record or row a run did not import. `sheet` and `rowNumber` are set for imported files. */
export interface RejectedRow {
  sheet: string | null;
  rowNumber: number | null;
  reference: string;
  field: string;
  /** Chinese name of the field, such as 案件名称. */
  fieldName: string;
  reason: string;
}

/** Rejected rows of a run; `items` contains at most the first 5000 of `total`. */
export interface RejectedRowList {
  items: RejectedRow[];
  total: number;
}

export interface UnmatchedHandler {
  code: string;
  name: string;
  loginName: string | null;
  departmentName: string | null;
  waitingCaseCount: number;
}

export interface ImportReport {
  run: SyncRun;
  rows: RejectedRow[];
  /** All rejected rows of the run; `rows` may hold fewer. */
  totalRows: number;
}

export function getSyncStatus(): Promise<SyncStatus> {
  return request('/api/unified/status', { isSilent: true });
}

export function listSyncRuns(page: number, pageSize: number): Promise<Page<SyncRun>> {
  return request('/api/unified/runs', { query: { page, pageSize } });
}

export function listRejectedRows(runId: number): Promise<RejectedRowList> {
  return request(`/api/unified/runs/${runId}/rejected`);
}

export function startSync(): Promise<{ queued: boolean }> {
  return request('/api/unified/sync', { method: 'POST' });
}

export function listUnmatchedHandlers(): Promise<UnmatchedHandler[]> {
  return request('/api/unified/handlers/unmatched');
}

export const importTemplateUrl = '/api/unified/import/template';

/** Uploads a JSON or .xlsx file as the raw body and returns the run with its row report. */
export async function importCaseFile(file: File): Promise<ImportReport> {
  let response: Response;
  try {
    response = await fetch(`/api/unified/import?fileName=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json', ...getCsrfHeaders() },
      body: file,
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', '网络连接失败，请检查网络后重试。');
  }
  const body = (await response.json().catch(() => null)) as (ImportReport & { code?: string; message?: string }) | null;
  if (!response.ok) throw new ApiError(response.status, body?.code ?? `HTTP_${response.status}`, body?.message ?? `导入失败（HTTP ${response.status}），请重试。`);
  return body as ImportReport;
}
