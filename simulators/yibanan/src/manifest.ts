/**
 * The package manifest (manifest.json) and its validation. The contract is section 2.1 of
 * docs/integrations/README.md and the Manifest schema in docs/integrations/yibanan.openapi.yaml.
 */
export interface ManifestFile {
  path: string;
  kind: string;
  size: number;
  sha256: string;
  sm3?: string;
}

export interface Manifest {
  packageId: string;
  kind: 'session' | 'supplement';
  followsPackageId: string | null;
  createdAt: string;
  case: Record<string, unknown> & { bmsah: string };
  files: ManifestFile[];
  [field: string]: unknown;
}

/** Package ids are used as folder names, so they are limited to a safe character set. */
export const PACKAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** SHA-256 of zero bytes; an empty file is complete as soon as it is announced. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const HEX_64 = /^[0-9a-f]{64}$/;
const ISO_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const OPTIONAL_OBJECTS = ['suspect', 'room', 'operator', 'session'] as const;

export class ManifestError extends Error {}

/**
 * Parses and checks a manifest body for the package `packageId`.
 * Throws ManifestError with the first problem found, naming the field.
 */
export function parseManifest(body: Buffer, packageId: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ManifestError(`manifest 不是有效的 JSON：${(error as Error).message}`);
  }
  if (!isObject(value)) {
    throw new ManifestError('manifest 必须是 JSON 对象。');
  }

  if (value['packageId'] !== packageId) {
    throw new ManifestError(`manifest 的 packageId（${String(value['packageId'])}）与地址中的 ${packageId} 不一致。`);
  }
  if (value['kind'] !== 'session' && value['kind'] !== 'supplement') {
    throw new ManifestError('kind 必须是 "session" 或 "supplement"。');
  }
  const follows = value['followsPackageId'] ?? null;
  if (value['kind'] === 'supplement' && (typeof follows !== 'string' || !PACKAGE_ID_PATTERN.test(follows))) {
    throw new ManifestError('kind 为 "supplement" 时 followsPackageId 必须是被补充的包编号。');
  }
  if (value['kind'] === 'session' && follows !== null) {
    throw new ManifestError('kind 为 "session" 时 followsPackageId 必须为 null。');
  }
  if (typeof value['createdAt'] !== 'string' || !isIsoTimeWithOffset(value['createdAt'])) {
    throw new ManifestError('createdAt 必须是带时区的 ISO 8601 时间，如 2026-03-01T10:40:00+08:00。');
  }
  const caseInfo = value['case'];
  if (!isObject(caseInfo) || typeof caseInfo['bmsah'] !== 'string' || caseInfo['bmsah'].trim() === '') {
    throw new ManifestError('case.bmsah（部门受案号）不能为空。');
  }
  for (const field of OPTIONAL_OBJECTS) {
    if (value[field] !== undefined && value[field] !== null && !isObject(value[field])) {
      throw new ManifestError(`${field} 必须是 JSON 对象。`);
    }
  }
  const files = value['files'];
  if (!Array.isArray(files) || files.length === 0) {
    throw new ManifestError('files 必须是非空数组。');
  }
  const seenPaths = new Set<string>();
  files.forEach((file, index) => checkFile(file, index, seenPaths));

  return { ...value, followsPackageId: follows } as Manifest;
}

function checkFile(file: unknown, index: number, seenPaths: Set<string>): void {
  const name = `files[${index}]`;
  if (!isObject(file)) {
    throw new ManifestError(`${name} 必须是 JSON 对象。`);
  }
  const filePath = file['path'];
  if (typeof filePath !== 'string' || !isSafeRelativePath(filePath)) {
    throw new ManifestError(`${name}.path 必须是相对路径（用 / 分隔，不含 .. 和空段）。`);
  }
  if (seenPaths.has(filePath)) {
    throw new ManifestError(`${name}.path ${filePath} 重复。`);
  }
  seenPaths.add(filePath);
  if (typeof file['kind'] !== 'string' || file['kind'].trim() === '') {
    throw new ManifestError(`${name}.kind 不能为空（如 "video"、"document"）。`);
  }
  const size = file['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ManifestError(`${name}.size 必须是非负整数（字节数）。`);
  }
  const sha256 = file['sha256'];
  if (typeof sha256 !== 'string' || !HEX_64.test(sha256)) {
    throw new ManifestError(`${name}.sha256 必须是 64 位小写十六进制。`);
  }
  if (size === 0 && sha256 !== EMPTY_SHA256) {
    throw new ManifestError(`${name} 大小为 0，但 sha256 不是空内容的哈希 ${EMPTY_SHA256}。`);
  }
  if (file['sm3'] !== undefined && (typeof file['sm3'] !== 'string' || !HEX_64.test(file['sm3']))) {
    throw new ManifestError(`${name}.sm3 必须是 64 位小写十六进制。`);
  }
}

function isSafeRelativePath(filePath: string): boolean {
  if (filePath === '' || filePath.length > 1024 || filePath.startsWith('/') || filePath.includes('\\') || filePath.includes('\0')) {
    return false;
  }
  return filePath.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function isIsoTimeWithOffset(text: string): boolean {
  return ISO_TIME_WITH_OFFSET.test(text) && !Number.isNaN(Date.parse(text));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
