/**
 * Server side of HTTP Digest access authentication (RFC 7616, in the MD5 and qop=auth profile of
 * RFC 2617). Basic credentials are rejected, like firmware that has Basic authentication turned off.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  username: string;
  password: string;
}

export type DigestVerdict = 'ok' | 'stale' | 'invalid';

/** Nonces older than this get `stale=true`, so the client retries without asking the user. */
const NONCE_LIFETIME_MS = 5 * 60_000;

export class DigestAuthenticator {
  private readonly secret = randomBytes(32);
  private readonly opaque = randomBytes(16).toString('hex');

  constructor(
    readonly realm: string,
    private readonly readCredentials: () => Credentials,
  ) {}

  /** Returns the WWW-Authenticate header value for a 401 response. */
  challenge(isStale = false): string {
    const parts = [
      `Digest realm="${this.realm}"`,
      `qop="auth"`,
      `nonce="${this.createNonce()}"`,
      `opaque="${this.opaque}"`,
      'algorithm=MD5',
    ];
    if (isStale) {
      parts.push('stale=true');
    }
    return parts.join(', ');
  }

  /** Checks an Authorization header for `method` and the request-target `requestUri`. */
  verify(method: string, requestUri: string, authorization: string | undefined): DigestVerdict {
    if (!authorization || !/^Digest\s/i.test(authorization)) {
      return 'invalid';
    }
    const params = parseAuthParams(authorization.replace(/^Digest\s+/i, ''));
    const { username, realm, nonce, uri, response, qop, nc, cnonce, opaque } = params;
    const algorithm = params['algorithm'] ?? 'MD5';
    if (!username || !nonce || !uri || !response || realm !== this.realm) {
      return 'invalid';
    }
    if (algorithm.toUpperCase() !== 'MD5' || qop !== 'auth' || !nc || !cnonce || opaque !== this.opaque) {
      return 'invalid';
    }
    if (uri !== requestUri) {
      return 'invalid';
    }

    const nonceAge = this.readNonceAge(nonce);
    if (nonceAge === null) {
      return 'invalid';
    }

    const credentials = this.readCredentials();
    const ha1 = md5(`${credentials.username}:${this.realm}:${credentials.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    const isMatch =
      username === credentials.username &&
      response.length === expected.length &&
      timingSafeEqual(Buffer.from(response.toLowerCase()), Buffer.from(expected));
    if (!isMatch) {
      return 'invalid';
    }
    return nonceAge > NONCE_LIFETIME_MS ? 'stale' : 'ok';
  }

  private createNonce(): string {
    const issuedAt = Date.now().toString(16);
    return `${issuedAt}${this.sign(issuedAt)}`;
  }

  /** Returns the age of a nonce this server issued, or null for a forged one. */
  private readNonceAge(nonce: string): number | null {
    const issuedAt = nonce.slice(0, -32);
    const signature = nonce.slice(-32);
    if (issuedAt === '' || signature !== this.sign(issuedAt)) {
      return null;
    }
    return Date.now() - Number.parseInt(issuedAt, 16);
  }

  private sign(text: string): string {
    return createHmac('sha256', this.secret).update(text).digest('hex').slice(0, 32);
  }
}

/** Parses `key="quoted value", key=token` lists from an authentication header. */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const match of text.matchAll(pattern)) {
    const key = match[1]!.toLowerCase();
    params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return params;
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
