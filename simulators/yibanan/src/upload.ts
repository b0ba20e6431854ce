/**
 * `PATCH /api/v1/packages/{packageId}/files/{index}`: appends the body at `Upload-Offset`.
 *
 * The body is streamed to disk chunk by chunk and hashed as it arrives, so a single request may
 * carry gigabytes without being held in memory. Bytes that arrived before a dropped connection stay
 * stored, so the client resumes from the `received` value of the package status.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { closeAfterResponse, readBodyChunks, sendApiError, type ApiContext } from './api-context.js';
import { describeError, log } from './log.js';
import type { StoredPackage } from './package-store.js';

const ACCEPTED_CONTENT_TYPES = new Set(['application/offset+octet-stream', 'application/octet-stream']);

interface ActiveUpload {
  request: IncomingMessage;
  finished: Promise<void>;
}

/** Running PATCH requests by `<packageId>/<index>`; a newer PATCH on the same file ends the older one. */
const activeUploads = new Map<string, ActiveUpload>();

type BodyOutcome = 'ended' | 'aborted' | 'dropped' | 'too-long';

export async function handleFilePatch(
  context: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  packageId: string,
  index: number,
): Promise<void> {
  const pkg = context.store.get(packageId);
  if (!pkg) {
    closeAfterResponse(request, response);
    sendApiError(context, response, 404, 'package-not-found', `包 ${packageId} 不存在，请先 PUT manifest。`);
    return;
  }
  const expected = pkg.manifest.files[index];
  if (!expected) {
    closeAfterResponse(request, response);
    sendApiError(context, response, 404, 'file-not-found', `包 ${packageId} 没有序号为 ${index} 的文件（共 ${pkg.manifest.files.length} 个）。`);
    return;
  }
  const offsetHeader = request.headers['upload-offset'];
  if (typeof offsetHeader !== 'string' || !/^\d{1,16}$/.test(offsetHeader)) {
    closeAfterResponse(request, response);
    sendApiError(context, response, 400, 'invalid-upload-offset', '缺少 Upload-Offset 请求头，或其值不是非负整数。');
    return;
  }
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== '' && !ACCEPTED_CONTENT_TYPES.has(contentType)) {
    closeAfterResponse(request, response);
    sendApiError(context, response, 415, 'unsupported-content-type', `Content-Type 必须是 application/offset+octet-stream，收到的是 ${contentType}。`);
    return;
  }

  const key = `${packageId}/${index}`;
  const previous = activeUploads.get(key);
  if (previous) {
    log('info', 'A new PATCH replaces a running one on the same file', { packageId, index });
    previous.request.destroy();
    await previous.finished;
  }
  let markFinished!: () => void;
  const finished = new Promise<void>((resolve) => (markFinished = resolve));
  activeUploads.set(key, { request, finished });
  try {
    await receiveFileBody(context, request, response, pkg, index, Number(offsetHeader));
  } finally {
    if (activeUploads.get(key)?.request === request) {
      activeUploads.delete(key);
    }
    markFinished();
  }
}

async function receiveFileBody(
  context: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  pkg: StoredPackage,
  index: number,
  offset: number,
): Promise<void> {
  const packageId = pkg.record.packageId;
  const expected = pkg.manifest.files[index]!;
  const file = pkg.record.files[index]!;
  const sendOffsetError = (status: number, code: string, message: string, uploadOffset: number): void => {
    closeAfterResponse(request, response);
    sendApiError(context, response, status, code, message, { uploadOffset }, { 'Upload-Offset': String(uploadOffset) });
  };

  if (offset !== file.received) {
    sendOffsetError(409, 'offset-mismatch', `Upload-Offset ${offset} 与已接收的字节数 ${file.received} 不一致，请从 ${file.received} 续传。`, file.received);
    return;
  }
  const contentLength = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isSafeInteger(contentLength) && offset + contentLength > expected.size) {
    sendOffsetError(413, 'body-too-long', `请求体超出文件大小：从 ${offset} 起只能再收 ${expected.size - offset} 字节，收到的 Content-Length 是 ${contentLength}。`, offset);
    return;
  }

  if (file.complete) {
    // Nothing more belongs to a verified file, so an empty body confirms the offset and any byte is too many.
    const hasBody = contentLength > 0 || request.headers['transfer-encoding'] !== undefined;
    if (hasBody) {
      sendOffsetError(413, 'body-too-long', `文件 ${expected.path} 已完整接收并通过校验，不能再追加数据。`, offset);
      return;
    }
    response.writeHead(204, { 'Upload-Offset': String(file.received) });
    response.end();
    return;
  }

  const progress = await pkg.hashAt(index, offset);
  const hashBefore = progress.hash.copy();
  const dropAfterBytes = context.state().dropAfterBytes;
  let bodyBytes = 0;
  let outcome: BodyOutcome = 'ended';
  let handle: FileHandle | null = null;
  try {
    handle = await open(pkg.filePath(index), 'r+');
    outcome = await writeBody();
  } catch (error) {
    outcome = 'aborted';
    if (!request.destroyed) {
      log('error', 'Writing a PATCH body failed', { packageId, index, error: describeError(error) });
      request.destroy();
    }
  } finally {
    await handle?.close();
  }

  async function writeBody(): Promise<BodyOutcome> {
    try {
      for await (const chunk of readBodyChunks(context, request, response)) {
        let piece = chunk;
        let isDropPoint = false;
        if (dropAfterBytes !== null && bodyBytes + piece.length >= dropAfterBytes) {
          piece = piece.subarray(0, dropAfterBytes - bodyBytes);
          isDropPoint = true;
        }
        if (file.received + piece.length > expected.size) {
          return 'too-long';
        }
        await handle!.write(piece, 0, piece.length, file.received);
        progress.hash.update(piece);
        progress.bytes += piece.length;
        file.received += piece.length;
        bodyBytes += piece.length;
        pkg.record.bytesReceivedTotal += piece.length;
        if (isDropPoint) {
          context.markDropFired();
          request.socket.destroy();
          return 'dropped';
        }
      }
      return 'ended';
    } catch (error) {
      if (request.destroyed || (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return 'aborted';
      }
      throw error;
    }
  }

  if (outcome === 'too-long') {
    await pkg.truncateFile(index, offset);
    pkg.restoreHash(index, hashBefore, offset);
    await pkg.persist();
    log('info', 'Rejected a PATCH body longer than the rest of the file', { packageId, index, offset, size: expected.size });
    sendOffsetError(413, 'body-too-long', `请求体超出文件大小：从 ${offset} 起只能再收 ${expected.size - offset} 字节，本次请求的数据已丢弃。`, offset);
    return;
  }

  if (outcome === 'dropped' || outcome === 'aborted') {
    await pkg.persist();
    log('info', outcome === 'dropped' ? 'Dropped the connection as the dropAfterBytes switch asks' : 'A PATCH connection closed before its body ended', {
      packageId,
      index,
      bodyBytes,
      received: file.received,
    });
    return;
  }

  if (file.received === expected.size && !file.complete) {
    const verification = await pkg.verifyFile(index);
    await pkg.persist();
    if (!verification.isMatch) {
      sendOffsetError(
        422,
        'hash-mismatch',
        `文件 ${expected.path} 的 SHA-256 与 manifest 不符（收到 ${verification.actualSha256}，应为 ${expected.sha256}），已丢弃，请从 0 重传。`,
        0,
      );
      return;
    }
  } else {
    await pkg.persist();
  }
  response.writeHead(204, { 'Upload-Offset': String(file.received) });
  response.end();
}
