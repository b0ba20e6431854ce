export interface MediaFile {
  id: number;
  sessionId: number;
  kind: 'video' | 'document' | 'manifest';
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
  durationMs: number | null;
  codec: string | null;
  width: number | null;
  height: number | null;
  createdAt: string;
}

/** URL of the file's bytes. The server supports Range requests, so a `<video>` can seek in it. */
export function getFileContentUrl(id: number): string {
  return `/api/files/${id}/content`;
}

/** URL that makes the browser save the file under its original name. */
export function getFileDownloadUrl(id: number): string {
  return `/api/files/${id}/content?download=1`;
}
