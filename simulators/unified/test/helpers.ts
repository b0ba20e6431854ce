/**
 * Test-side HTTP client for the 大统一2.0 API, written independently of the simulator's code.
 */
import http from 'node:http';

import { expect } from 'vitest';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection closed before the body was complete. */
  isComplete: boolean;
  error: (Error & { code?: string }) | null;
  elapsedMs: number;
}

export function rawGet(url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const finish = (status: number, responseHeaders: http.IncomingHttpHeaders, isComplete: boolean, error: Error | null): void => {
      resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks), isComplete, error, elapsedMs: Date.now() - startedAt });
    };
    const request = http.get(url, { headers, agent: false }, (response) => {
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => finish(response.statusCode ?? 0, response.headers, false, error));
      response.on('end', () => finish(response.statusCode ?? 0, response.headers, response.complete, null));
    });
    request.on('error', (error) => finish(0, {}, false, error));
  });
}

export interface CaseItem {
  bmsah: string;
  tysah: string;
  dwbm: string;
  ajmc: string;
  gxsj: string;
  sfsc: string;
  cbrgh: string;
  xyr: Array<Record<string, string>>;
  [field: string]: unknown;
}

export interface CasePageBody {
  items: CaseItem[];
  nextCursor: string | null;
  syncToken: string | null;
}

/** Client bound to one simulator's base URL and token. */
export class UnifiedClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly dwbm = '320583',
  ) {}

  get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return rawGet(`${this.baseUrl}${pathAndQuery}`, { Authorization: `Bearer ${this.token}`, ...headers });
  }

  async casePage(query: { since?: string; cursor?: string; limit?: number }): Promise<CasePageBody> {
    const params = new URLSearchParams({ dwbm: this.dwbm });
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) {
        params.set(key, String(value));
      }
    }
    const result = await this.get(`/api/v1/cases?${params.toString()}`);
    if (result.status !== 200) {
      throw new Error(`GET /api/v1/cases returned ${result.status}: ${result.body.toString()}`);
    }
    return JSON.parse(result.body.toString('utf8')) as CasePageBody;
  }

  /** Follows nextCursor from `since` to the last page and returns every item and the syncToken. */
  async pullAll(since: string | undefined, limit: number): Promise<{ items: CaseItem[]; syncToken: string; pages: number }> {
    const items: CaseItem[] = [];
    let page = await this.casePage({ since, limit });
    let pages = 1;
    items.push(...page.items);
    while (page.nextCursor !== null) {
      expect(page.syncToken).toBeNull();
      expect(page.items).toHaveLength(limit);
      page = await this.casePage({ cursor: page.nextCursor, limit });
      pages += 1;
      items.push(...page.items);
    }
    if (page.syncToken === null) {
      throw new Error('The last page has no syncToken.');
    }
    return { items, syncToken: page.syncToken, pages };
  }
}
