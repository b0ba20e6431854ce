/**
 * The 易办案 receiver API (section 2 of docs/integrations/README.md):
 *
 *   PUT   /api/v1/packages/{packageId}                  announce the manifest
 *   PATCH /api/v1/packages/{packageId}/files/{index}    append bytes at Upload-Offset
 *   GET   /api/v1/packages/{packageId}                  package status
 *   POST  /api/v1/packages/{packageId}/commit           accept the package, returns the receipt
 *
 * Every request needs `Authorization: Bearer <token>`. Errors are `{ code, message }` with a
 * Chinese message, as the real platform would show.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { buildPackageStatus, buildReceipt, closeAfterResponse, readBodyChunks, sendApiError, sendApiJson, type ApiContext } from './api-context.js';
import { log } from './log.js';
import { ManifestError, PACKAGE_ID_PATTERN, parseManifest } from './manifest.js';
import type { ApiRoute } from './sim-state.js';
import { handleFilePatch } from './upload.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

interface MatchedRoute {
  route: ApiRoute;
  packageId: string;
  fileIndex: number | null;
}

export async function handleApiRequest(context: ApiContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://yibanan.invalid');
  const method = request.method ?? 'GET';
  const matched = matchRoute(method, url.pathname);
  if (matched === 'not-found') {
    closeAfterResponse(request, response);
    sendApiError(context, response, 404, 'not-found', `接口 ${method} ${url.pathname} 不存在。`);
    return;
  }
  if (matched === 'method-not-allowed') {
    closeAfterResponse(request, response);
    sendApiError(context, response, 405, 'method-not-allowed', `接口 ${url.pathname} 不支持 ${method} 方法。`);
    return;
  }

  const injectedStatus = context.takeInjectedError(matched.route);
  if (injectedStatus !== null) {
    log('info', 'Answered with the simulated error status', { status: injectedStatus, method, path: url.pathname });
    closeAfterResponse(request, response);
    sendApiError(context, response, injectedStatus, 'simulated-error', `易办案暂时无法处理请求（模拟的 ${injectedStatus} 错误）。`);
    return;
  }

  if (!isAuthorized(request.headers.authorization, context.token)) {
    log('info', 'Rejected a request with a missing or wrong token', { method, path: url.pathname });
    closeAfterResponse(request, response);
    sendApiError(context, response, 401, 'unauthorized', '缺少或错误的访问令牌（Authorization: Bearer）。', {}, { 'WWW-Authenticate': 'Bearer' });
    return;
  }
  if (!PACKAGE_ID_PATTERN.test(matched.packageId)) {
    closeAfterResponse(request, response);
    sendApiError(context, response, 400, 'invalid-package-id', `包编号 ${matched.packageId} 无效：只允许字母、数字、点、下划线和连字符，最长 128 个字符。`);
    return;
  }

  switch (matched.route) {
    case 'put':
      await handlePut(context, request, response, matched.packageId);
      return;
    case 'status':
      handleStatus(context, response, matched.packageId);
      return;
    case 'commit':
      await handleCommit(context, request, response, matched.packageId);
      return;
    case 'patch':
      await handleFilePatch(context, request, response, matched.packageId, matched.fileIndex!);
      return;
  }
}

function matchRoute(method: string, pathname: string): MatchedRoute | 'not-found' | 'method-not-allowed' {
  const parts = pathname.split('/');
  // '/api/v1/packages/<id>/...' splits into ['', 'api', 'v1', 'packages', '<id>', ...].
  if (parts.length < 5 || parts[1] !== 'api' || parts[2] !== 'v1' || parts[3] !== 'packages' || parts[4] === '') {
    return 'not-found';
  }
  let packageId: string;
  try {
    packageId = decodeURIComponent(parts[4]!);
  } catch {
    return 'not-found';
  }
  const rest = parts.slice(5);

  if (rest.length === 0) {
    if (method === 'PUT') {
      return { route: 'put', packageId, fileIndex: null };
    }
    if (method === 'GET') {
      return { route: 'status', packageId, fileIndex: null };
    }
    return 'method-not-allowed';
  }
  if (rest.length === 1 && rest[0] === 'commit') {
    return method === 'POST' ? { route: 'commit', packageId, fileIndex: null } : 'method-not-allowed';
  }
  if (rest.length === 2 && rest[0] === 'files' && /^(0|[1-9]\d{0,5})$/.test(rest[1]!)) {
    return method === 'PATCH' ? { route: 'patch', packageId, fileIndex: Number(rest[1]) } : 'method-not-allowed';
  }
  return 'not-found';
}

function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) {
    return false;
  }
  const presented = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

async function handlePut(context: ApiContext, request: IncomingMessage, response: ServerResponse, packageId: string): Promise<void> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of readBodyChunks(context, request, response)) {
    length += chunk.length;
    if (length > MAX_MANIFEST_BYTES) {
      closeAfterResponse(request, response);
      sendApiError(context, response, 413, 'manifest-too-large', `manifest 超过 ${MAX_MANIFEST_BYTES} 字节。`);
      return;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);

  let manifest;
  try {
    manifest = parseManifest(body, packageId);
  } catch (error) {
    if (error instanceof ManifestError) {
      log('info', 'Rejected an invalid manifest', { packageId, reason: error.message });
      sendApiError(context, response, 400, 'invalid-manifest', error.message);
      return;
    }
    throw error;
  }

  const result = await context.store.announce(packageId, body, manifest);
  if (result.outcome === 'conflict') {
    log('info', 'Rejected a different manifest for an existing package', { packageId });
    sendApiError(context, response, 409, 'manifest-conflict', `包 ${packageId} 已用另一份 manifest 登记，同一包编号不能更换内容。`, {
      manifestSha256: result.pkg.record.manifestSha256,
    });
    return;
  }
  const status = buildPackageStatus(result.pkg, context.takeWrongOffset());
  sendApiJson(context, response, result.outcome === 'created' ? 201 : 200, status);
}

function handleStatus(context: ApiContext, response: ServerResponse, packageId: string): void {
  const pkg = context.store.get(packageId);
  if (!pkg) {
    sendApiError(context, response, 404, 'package-not-found', `包 ${packageId} 不存在。`);
    return;
  }
  sendApiJson(context, response, 200, buildPackageStatus(pkg, context.takeWrongOffset()));
}

async function handleCommit(context: ApiContext, request: IncomingMessage, response: ServerResponse, packageId: string): Promise<void> {
  // The commit body carries nothing; read it so the connection can be reused.
  for await (const _chunk of readBodyChunks(context, request, response)) {
    // discarded
  }
  const pkg = context.store.get(packageId);
  if (!pkg) {
    sendApiError(context, response, 404, 'package-not-found', `包 ${packageId} 不存在。`);
    return;
  }

  const result = await context.store.commit(pkg);
  if (!result.accepted) {
    const missingFiles = result.missing.map((index) => ({
      index,
      path: pkg.manifest.files[index]!.path,
      size: pkg.manifest.files[index]!.size,
      received: pkg.record.files[index]!.received,
    }));
    log('info', 'Rejected a commit of an incomplete package', { packageId, missing: result.missing });
    sendApiError(context, response, 409, 'package-incomplete', `包 ${packageId} 还有 ${missingFiles.length} 个文件未传完或未通过校验。`, {
      missingFiles,
    });
    return;
  }
  sendApiJson(context, response, 200, buildReceipt(pkg, context.state().malformed === 'wrong-receipt-hash'));
}
