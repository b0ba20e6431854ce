import { createHash } from 'node:crypto';
import { sanitizeFileNamePart } from '../../lib/file-names.js';

/** Session data for a package's manifest, read in the transaction that creates the package. */
export interface PackageSource {
  sessionId: number;
  startedAt: string;
  endedAt: string | null;
  caseNumber: string;
  unifiedNumber: string | null;
  caseName: string;
  category: string | null;
  suspectName: string;
  idTypeCode: string;
  idTypeName: string;
  idNumber: string;
  roomName: string | null;
  operatorName: string;
  operatorUsername: string;
  /** 工号 of the operator, null when the account has none. */
  operatorEmployeeNo: string | null;
}

export interface PackageMediaFile {
  id: number;
  kind: 'video' | 'document';
  fileName: string;
  size: number;
  sha256: string;
  sm3: string;
}

export interface PlannedFile {
  mediaFileId: number;
  position: number;
  path: string;
  kind: 'video' | 'document';
  size: number;
  sha256: string;
  sm3: string;
}

export interface PlannedPackage {
  packageId: string;
  kind: 'session' | 'supplement';
  seq: number;
  followsPackageId: string | null;
  files: PlannedFile[];
  /** manifest.json exactly as it is sent and stored. */
  manifest: string;
  manifestSha256: string;
  bytesTotal: number;
}

/** Returns the package id TL-<site>-<session id>-<seq>: 1 for the session's package, 2, 3… for supplements. */
export function buildPackageId(site: string, sessionId: number, seq: number): string {
  return `TL-${site}-${sessionId}-${seq}`;
}

/** Formats an instant in China Standard Time with its offset, e.g. 2026-03-01T09:30:00+08:00. */
export function toChinaTime(iso: string): string {
  const local = new Date(Date.parse(iso) + 8 * 3600_000).toISOString();
  return `${local.slice(0, 19)}+08:00`;
}

/** Makes a stored file name safe as a path segment, keeping its extension when the name is shortened. */
function toPackageFileName(fileName: string): string {
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(fileName)?.[0] ?? '';
  return `${sanitizeFileNamePart(fileName.slice(0, fileName.length - extension.length))}${extension.toLowerCase()}`;
}

/**
 * Assigns each file its path in the package: video/ and documents/ folders, and a running number before
 * the name, so two documents with the same name never collide.
 */
export function planFilePaths(files: PackageMediaFile[]): PlannedFile[] {
  // Videos first, then documents, each in the order they were stored.
  const kindOrder = (file: PackageMediaFile) => (file.kind === 'video' ? 0 : 1);
  const ordered = [...files].sort((a, b) => kindOrder(a) - kindOrder(b) || a.id - b.id);
  return ordered.map((file, position) => ({
    mediaFileId: file.id,
    position,
    path: `${file.kind === 'video' ? 'video' : 'documents'}/${position + 1}-${toPackageFileName(file.fileName)}`,
    kind: file.kind,
    size: file.size,
    sha256: file.sha256,
    sm3: file.sm3,
  }));
}

/** Builds the manifest of docs/integrations/README.md section 2.1 and freezes its bytes and SHA-256. */
export function buildPackage(
  site: string,
  source: PackageSource,
  seq: number,
  followsPackageId: string | null,
  files: PackageMediaFile[],
  createdAt: string,
): PlannedPackage {
  const packageId = buildPackageId(site, source.sessionId, seq);
  const kind = seq === 1 ? 'session' : 'supplement';
  const planned = planFilePaths(files);
  const manifest = {
    packageId,
    kind,
    followsPackageId,
    createdAt: toChinaTime(createdAt),
    case: { bmsah: source.caseNumber, tysah: source.unifiedNumber, ajmc: source.caseName, ajlb_mc: source.category },
    suspect: { xm: source.suspectName, zjlx_dm: source.idTypeCode, zjlx_mc: source.idTypeName, zjhm: source.idNumber },
    room: source.roomName === null ? null : { name: source.roomName },
    operator: { name: source.operatorName, gh: source.operatorEmployeeNo, dlzh: source.operatorUsername },
    session: { startedAt: toChinaTime(source.startedAt), endedAt: source.endedAt ? toChinaTime(source.endedAt) : null },
    files: planned.map((file) => ({ path: file.path, kind: file.kind, size: file.size, sha256: file.sha256, sm3: file.sm3 })),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  return {
    packageId,
    kind,
    seq,
    followsPackageId,
    files: planned,
    manifest: text,
    manifestSha256: createHash('sha256').update(text, 'utf8').digest('hex'),
    bytesTotal: planned.reduce((sum, file) => sum + file.size, 0),
  };
}

/** Compares the receipt's hashes with ours; returns the Chinese reason of the first difference, or null. */
export function findReceiptMismatch(ours: { path: string; sha256: string }[], receipt: { path: string; sha256: string }[]): string | null {
  const theirs = new Map(receipt.map((file) => [file.path, file.sha256.toLowerCase()]));
  for (const file of ours) {
    const received = theirs.get(file.path);
    if (received === undefined) return `易办案回执中缺少文件“${file.path}”，推送包未被确认。`;
    if (received !== file.sha256) {
      return `易办案回执中文件“${file.path}”的 SHA-256 与本地不符，推送包未被确认。回执 SHA-256：${received}；本地 SHA-256：${file.sha256}。`;
    }
  }
  if (theirs.size !== ours.length) return `易办案回执列出 ${theirs.size} 个文件，推送包有 ${ours.length} 个，推送包未被确认。`;
  return null;
}
