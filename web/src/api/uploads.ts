import { ApiError, getCsrfHeaders, request } from './client';
import type { Session } from './sessions';

export interface SessionDocument {
  id: number;
  sessionId: number;
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
  /** True for 资料补充: added after the session ended. */
  isAddition: boolean;
  createdBy: string | null;
  createdAt: string;
}

export interface SessionDocuments {
  documents: SessionDocument[];
  additions: SessionDocument[];
}

export interface OffsiteUpload {
  id: number;
  uploadId: string;
  fileName: string;
  size: number;
  state: 'uploading' | 'uploaded' | 'archived';
  formatName: string | null;
  durationMs: number | null;
  codec: string | null;
  createdAt: string;
}

export interface DossierFile {
  id: number;
  caseId: number;
  name: string;
  folderPath: string;
  size: number;
  sha256: string;
  sm3: string;
  source: string;
  fetchedAt: string;
}

/** File types the server accepts for documents, for the file picker's filter. The server checks the content again. */
export const documentAccept = '.pdf,.jpg,.jpeg,.png,.gif,.doc,.docx,.txt';

export function listSessionDocuments(sessionId: number): Promise<SessionDocuments> {
  return request(`/api/sessions/${sessionId}/documents`);
}

/**
 * Sends a file as the raw request body. Uses fetch directly because the JSON client cannot send a File.
 * Errors become an ApiError with the server's Chinese message.
 */
async function postRawFile<T>(url: string, file: File): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json', ...getCsrfHeaders() }, body: file, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', '网络连接失败，请检查网络后重试。');
  }
  const body = (await response.json().catch(() => null)) as (T & { code?: string; message?: string }) | null;
  if (!response.ok) throw new ApiError(response.status, body?.code ?? `HTTP_${response.status}`, body?.message ?? `上传失败（HTTP ${response.status}），请重试。`);
  return body as T;
}

/** Uploads one document to a session: 上传文书 while it records, 资料补充 afterwards. */
export function uploadSessionDocument(sessionId: number, file: File): Promise<SessionDocument> {
  return postRawFile(`/api/sessions/${sessionId}/documents?fileName=${encodeURIComponent(file.name)}`, file);
}

export interface OffsiteStart {
  caseId: number;
  suspectId: number;
  startedAt: string;
  endedAt: string;
}

export function startOffsiteSession(input: OffsiteStart): Promise<Session> {
  return request('/api/offsite-sessions', { method: 'POST', body: input });
}

export function listOffsiteUploads(sessionId: number): Promise<OffsiteUpload[]> {
  return request(`/api/offsite-sessions/${sessionId}/uploads`);
}

export function removeOffsiteUpload(sessionId: number, id: number): Promise<void> {
  return request(`/api/offsite-sessions/${sessionId}/uploads/${id}`, { method: 'DELETE' });
}

export function endOffsiteSession(sessionId: number): Promise<Session> {
  return request(`/api/offsite-sessions/${sessionId}/end`, { method: 'POST' });
}

export function listDossierFiles(caseId: number): Promise<DossierFile[]> {
  return request(`/api/cases/${caseId}/dossier-files`);
}

export function getDossierDownloadUrl(id: number): string {
  return `/api/dossier-files/${id}/content`;
}

/** A document added to a case as a whole (资料补充 without a session). */
export interface CaseDocument {
  id: number;
  caseId: number;
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
  createdBy: string | null;
  createdAt: string;
}

export function listCaseDocuments(caseId: number): Promise<CaseDocument[]> {
  return request(`/api/cases/${caseId}/documents`);
}

export function uploadCaseDocument(caseId: number, file: File): Promise<CaseDocument> {
  return postRawFile(`/api/cases/${caseId}/documents?fileName=${encodeURIComponent(file.name)}`, file);
}

export function getCaseDocumentDownloadUrl(id: number): string {
  return `/api/case-documents/${id}/content`;
}
