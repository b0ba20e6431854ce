import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';

/** Connection settings of the 大统一2.0 HTTP interface. */
export interface UnifiedClientSettings {
  baseUrl: string;
  token: string;
  unitCode: string;
  /** Milliseconds one request may take, headers and body together. */
  timeoutMs: number;
  /** Attempts per request for 408, 429, 5xx and network errors. */
  maxAttempts: number;
  /** First retry delay in milliseconds; each further retry doubles it. */
  retryBaseMs: number;
  /** Largest JSON response accepted, in bytes. */
  maxJsonBytes: number;
}

export interface CasePage {
  items: unknown[];
  nextCursor: string | null;
  syncToken: string | null;
}

export interface HandlerItem {
  gh: string;
  xm: string;
  dlzh: string | null;
  bmMc: string | null;
}

export interface DossierTreeFile {
  wjbh: string;
  jzmc: string;
  mlmc: string;
  wjmc: string;
  wjdx: number;
  sha256: string;
  /** `gxsj` of this version as a UTC ISO string, or null when missing or invalid. */
  versionAt: string | null;
}

/** A failed call to 大统一2.0; `message` is Chinese and fit for the run history. */
export class UnifiedError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnifiedError';
  }
}

const RETRYABLE_STATUS = new Set([408, 429]);

/** HTTP client of the 大统一2.0 contract (cases, handlers, 电子卷宗) with timeouts, retries and a body limit. */
export class UnifiedClient {
  constructor(
    private readonly settings: UnifiedClientSettings,
    private readonly log: FastifyBaseLogger,
  ) {}

  async fetchCasePage(since: string | null, cursor: string | null, limit: number, signal?: AbortSignal): Promise<CasePage> {
    const query: Record<string, string> = { dwbm: this.settings.unitCode, limit: String(limit) };
    if (since) query.since = since;
    if (cursor) query.cursor = cursor;
    const body = await this.getJson('/api/v1/cases', query, signal);
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { items?: unknown }).items)) {
      throw new UnifiedError('大统一2.0 返回的案件列表格式不正确（缺少 items 数组）。', false);
    }
    const page = body as { items: unknown[]; nextCursor?: unknown; syncToken?: unknown };
    const nextCursor = typeof page.nextCursor === 'string' && page.nextCursor !== '' ? page.nextCursor : null;
    const syncToken = typeof page.syncToken === 'string' && page.syncToken !== '' ? page.syncToken : null;
    if (nextCursor === null && syncToken === null) throw new UnifiedError('大统一2.0 返回的最后一页缺少 syncToken，无法记录同步位置。', false);
    return { items: page.items, nextCursor, syncToken };
  }

  async fetchHandlers(signal?: AbortSignal): Promise<HandlerItem[]> {
    const body = await this.getJson('/api/v1/handlers', { dwbm: this.settings.unitCode }, signal);
    const items = (body as { items?: unknown }).items;
    if (!Array.isArray(items)) throw new UnifiedError('大统一2.0 返回的承办人列表格式不正确（缺少 items 数组）。', false);
    const handlers: HandlerItem[] = [];
    for (const item of items as Record<string, unknown>[]) {
      const code = typeof item?.gh === 'string' ? item.gh.trim() : '';
      const name = typeof item?.xm === 'string' ? item.xm.trim() : '';
      if (!code || code.length > 32 || !name || name.length > 50) continue;
      const login = typeof item.dlzh === 'string' && item.dlzh.trim() && item.dlzh.length <= 64 ? item.dlzh.trim() : null;
      const department = typeof item.bm_mc === 'string' && item.bm_mc.length <= 100 ? item.bm_mc.trim() || null : null;
      handlers.push({ gh: code, xm: name, dlzh: login, bmMc: department });
    }
    return handlers;
  }

  async fetchDossierTree(caseNumber: string, signal?: AbortSignal): Promise<DossierTreeFile[]> {
    const body = await this.getJson('/api/v1/dossier', { bmsah: caseNumber }, signal);
    const files = (body as { files?: unknown }).files;
    if (!Array.isArray(files)) throw new UnifiedError(`大统一2.0 返回的电子卷宗目录格式不正确（案件 ${caseNumber}）。`, false);
    const valid: DossierTreeFile[] = [];
    for (const file of files as Record<string, unknown>[]) {
      const ok =
        typeof file?.wjbh === 'string' &&
        /^[\w.-]{1,64}$/.test(file.wjbh) &&
        typeof file.wjmc === 'string' &&
        file.wjmc.trim() !== '' &&
        file.wjmc.length <= 200 &&
        typeof file.sha256 === 'string' &&
        /^[0-9a-fA-F]{64}$/.test(file.sha256) &&
        typeof file.wjdx === 'number' &&
        Number.isSafeInteger(file.wjdx) &&
        file.wjdx >= 0;
      if (!ok) {
        this.log.warn({ caseNumber, wjbh: typeof file?.wjbh === 'string' ? file.wjbh.slice(0, 64) : null }, 'dossier tree entry skipped: invalid fields');
        continue;
      }
      valid.push({
        wjbh: file.wjbh as string,
        jzmc: typeof file.jzmc === 'string' ? file.jzmc.slice(0, 100) : '',
        mlmc: typeof file.mlmc === 'string' ? file.mlmc.slice(0, 200) : '',
        wjmc: (file.wjmc as string).trim(),
        wjdx: file.wjdx as number,
        sha256: (file.sha256 as string).toLowerCase(),
        versionAt: typeof file.gxsj === 'string' && !Number.isNaN(Date.parse(file.gxsj)) ? new Date(file.gxsj).toISOString() : null,
      });
    }
    return valid;
  }

  /** Opens the content of a dossier file as a byte stream; the caller checks size and hash. */
  async openDossierFile(fileId: string, signal?: AbortSignal): Promise<AsyncIterable<Buffer>> {
    const response = await this.request(`/api/v1/dossier/files/${encodeURIComponent(fileId)}/content`, {}, signal, true);
    if (!response.body) throw new UnifiedError(`大统一2.0 没有返回卷宗文件 ${fileId} 的内容。`, true);
    return response.body as unknown as AsyncIterable<Buffer>;
  }

  private async getJson(pathname: string, query: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await this.request(pathname, query, signal, false);
        const text = await readBodyLimited(response, this.settings.maxJsonBytes);
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new UnifiedError(`大统一2.0 返回的数据不是有效的 JSON（${pathname}），可能传输中断。`, true, { cause: error });
        }
      } catch (error) {
        if (!(error instanceof UnifiedError) || !error.retryable || attempt >= this.settings.maxAttempts || signal?.aborted) throw error;
        const delay = this.settings.retryBaseMs * 2 ** (attempt - 1);
        this.log.warn({ path: pathname, attempt, retryInMs: delay, reason: error.message }, 'unified request failed; retrying');
        await sleep(delay, undefined, { signal });
      }
    }
  }

  /** Sends one GET; the timeout covers reading the body too, because the signal stays attached to it. */
  private async request(pathname: string, query: Record<string, string>, signal: AbortSignal | undefined, isFileRequest: boolean): Promise<Response> {
    const url = new URL(pathname, this.settings.baseUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Authorization: `Bearer ${this.settings.token}`, Accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (timeout.aborted) throw new UnifiedError(`连接大统一2.0 超时（${this.settings.timeoutMs / 1000} 秒）。`, true, { cause: error });
      throw new UnifiedError('无法连接大统一2.0，请检查接口地址和网络。', true, { cause: error });
    }
    if (response.ok) return response;

    const detail = await this.readErrorDetail(response);
    if (response.status === 401 || response.status === 403) {
      throw new UnifiedError(`大统一2.0 拒绝了访问（HTTP ${response.status}），请核对接口令牌 TONGLU_UNIFIED_TOKEN。`, false);
    }
    if (response.status === 404 && isFileRequest) throw new UnifiedError(`大统一2.0 中找不到该文件（HTTP 404，${pathname}）。`, false);
    const retryable = response.status >= 500 || RETRYABLE_STATUS.has(response.status);
    const next = retryable ? '请稍后重试；若持续出现，请联系大统一2.0 维护方。' : '请将此信息提供给大统一2.0 维护方核对。';
    throw new UnifiedError(`大统一2.0 返回错误（HTTP ${response.status}，${pathname}）${detail ? `：${detail}` : ''}。${next}`, retryable);
  }

  /**
   * Reads `code` and `message` of a 2.0 error body (at most 4 KiB) as one short line. Control characters are
   * removed, the text is cut to 200 characters and the access token is masked, because it ends up in the run history.
   */
  private async readErrorDetail(response: Response): Promise<string> {
    let body: unknown;
    try {
      body = JSON.parse(await readBodyLimited(response, 4096));
    } catch {
      await response.body?.cancel().catch(() => undefined);
      return '';
    }
    if (typeof body !== 'object' || body === null) return '';
    const { code, message } = body as { code?: unknown; message?: unknown };
    const parts = [code, message].filter((part): part is string => typeof part === 'string' && part.trim() !== '');
    // eslint-disable-next-line no-control-regex
    let text = parts.join(' – ').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
    if (this.settings.token) text = text.split(this.settings.token).join('***');
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
}

/** Reads a response body as UTF-8 text, stopping with an error once it exceeds `maxBytes`. */
async function readBodyLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new UnifiedError(`大统一2.0 返回的数据过大（${declared} 字节，上限 ${maxBytes} 字节）。`, false);
  }
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        throw new UnifiedError(`大统一2.0 返回的数据过大（超过 ${maxBytes} 字节）。`, false);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof UnifiedError) throw error;
    throw new UnifiedError('读取大统一2.0 返回的数据时连接中断。', true, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}
