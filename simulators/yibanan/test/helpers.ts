/**
 * Test-side client of the 易办案 API, written over node:http so tests see exactly what happened on
 * the connection (status, headers, a reset before the response), and package builders.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { Readable } from 'node:stream';

export interface ApiResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The connection failed before a complete response arrived. */
  error: NodeJS.ErrnoException | null;
}

export interface TestFile {
  path: string;
  kind: string;
  content: Buffer;
  sha256: string;
}

export interface TestPackage {
  packageId: string;
  manifest: Record<string, unknown>;
  /** The manifest as the exact bytes that are sent. */
  body: string;
  files: TestFile[];
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Builds a package with random file contents of the given sizes. */
export function buildPackage(packageId: string, sizes: number[], overrides: Record<string, unknown> = {}): TestPackage {
  const files = sizes.map((size, index) => {
    const content = randomBytes(size);
    const kind = index === 0 ? 'video' : 'document';
    const path = index === 0 ? `video/${index + 1}-王某某-20260301093000.mp4` : `documents/材料${index}.pdf`;
    return { path, kind, content, sha256: sha256Hex(content) };
  });
  const manifest: Record<string, unknown> = {
    packageId,
    kind: 'session',
    followsPackageId: null,
    createdAt: '2026-03-01T10:40:00+08:00',
    case: { bmsah: '昆检刑诉受[2026]320583000123号', tysah: '32058320260000123', ajmc: '王某某盗窃案', ajlb_mc: '一审公诉案件' },
    suspect: { xm: '王某某', zjlx_dm: '111', zjlx_mc: '居民身份证', zjhm: '320583199001011234' },
    room: { name: '刑检-101讯问室' },
    operator: { name: '张明', gh: '0371', dlzh: 'zhangming' },
    session: { startedAt: '2026-03-01T09:30:00+08:00', endedAt: '2026-03-01T10:30:00+08:00' },
    files: files.map((file) => ({ path: file.path, kind: file.kind, size: file.content.length, sha256: file.sha256 })),
    ...overrides,
  };
  return { packageId, manifest, body: JSON.stringify(manifest), files };
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
  ) {}

  putManifest(testPackage: TestPackage, body = testPackage.body): Promise<ApiResult> {
    return this.send('PUT', `/api/v1/packages/${testPackage.packageId}`, { 'Content-Type': 'application/json' }, Buffer.from(body));
  }

  status(packageId: string): Promise<ApiResult> {
    return this.send('GET', `/api/v1/packages/${packageId}`, {});
  }

  commit(packageId: string): Promise<ApiResult> {
    return this.send('POST', `/api/v1/packages/${packageId}/commit`, {});
  }

  /** Sends `content` as one PATCH at `offset`. A stream without a Content-Length header is sent chunked. */
  patch(
    packageId: string,
    index: number,
    offset: number,
    content: Buffer | Readable,
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiResult> {
    const headers: Record<string, string> = {
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
      ...extraHeaders,
    };
    return this.send('PATCH', `/api/v1/packages/${packageId}/files/${index}`, headers, content);
  }

  /** Uploads every file in chunks of `chunkSize` bytes, each PATCH continuing at the returned offset. */
  async uploadAll(testPackage: TestPackage, chunkSize: number): Promise<void> {
    for (const [index, file] of testPackage.files.entries()) {
      let offset = 0;
      while (offset < file.content.length) {
        const result = await this.patch(testPackage.packageId, index, offset, file.content.subarray(offset, offset + chunkSize));
        if (result.status !== 204) {
          throw new Error(`PATCH of file ${index} at ${offset} returned ${result.status}: ${result.text}`);
        }
        offset = Number(result.headers['upload-offset']);
      }
    }
  }

  send(method: string, pathname: string, headers: Record<string, string>, body?: Buffer | Readable): Promise<ApiResult> {
    const allHeaders: Record<string, string> = { ...headers };
    if (this.token !== null) {
      allHeaders['Authorization'] = `Bearer ${this.token}`;
    }
    if (Buffer.isBuffer(body)) {
      allHeaders['Content-Length'] = String(body.length);
    }
    return new Promise((resolve) => {
      let isSettled = false;
      const settle = (result: ApiResult): void => {
        if (!isSettled) {
          isSettled = true;
          resolve(result);
        }
      };
      const request = http.request(`${this.baseUrl}${pathname}`, { method, headers: allHeaders, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => settle({ status: response.statusCode ?? 0, headers: response.headers, text: '', error }));
        response.on('end', () =>
          settle({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8'), error: null }),
        );
      });
      request.on('error', (error) => settle({ status: 0, headers: {}, text: '', error }));
      if (body instanceof Readable) {
        body.on('error', (error) => request.destroy(error));
        body.pipe(request);
      } else {
        request.end(body);
      }
    });
  }
}

export function parseJson<T = Record<string, unknown>>(result: ApiResult): T {
  try {
    return JSON.parse(result.text) as T;
  } catch (error) {
    throw new Error(`Response ${result.status} is not JSON: ${result.text}`, { cause: error });
  }
}

/**
 * Streams `totalBytes` of generated data in chunks the size of `block` (the block with the chunk
 * number in its first 8 bytes), and reports the SHA-256 of what was produced once the stream has
 * ended. The same block gives the same bytes.
 */
export function generatedStream(totalBytes: number, block: Buffer): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  let chunkNumber = 0;
  const stream = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, totalBytes - produced)));
      chunk.writeBigUInt64BE(BigInt(chunkNumber), 0);
      chunkNumber += 1;
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.copy().digest('hex') };
}

/** Reads a `kB` field such as VmRSS or VmHWM from /proc/<pid>/status, in bytes. */
export async function readProcessMemory(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) {
    throw new Error(`/proc/${pid}/status has no ${field} line.`);
  }
  return Number(match[1]) * 1024;
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, description: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}.`);
}
