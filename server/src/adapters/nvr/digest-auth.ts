/**
 * Client side of HTTP Digest access authentication (RFC 7616, compatible with RFC 2617), shared by
 * the HTTP client and the RTSP probe, because RTSP uses the same scheme.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  /** Upper case, for example "MD5" or "SHA-256-SESS". */
  algorithm: string;
  /** qop options the server offered, empty for an RFC 2069 server. */
  qop: string[];
  isStale: boolean;
}

export interface Challenges {
  digest: DigestChallenge[];
  hasBasic: boolean;
}

const SUPPORTED_ALGORITHMS = ['SHA-256', 'SHA-256-SESS', 'MD5', 'MD5-SESS'];

/** Reads every WWW-Authenticate header value. One value may contain several challenges. */
export function parseChallenges(headerValues: readonly string[]): Challenges {
  const result: Challenges = { digest: [], hasBasic: false };
  for (const value of headerValues) {
    // Split before each scheme token ("Digest", "Basic") that starts a challenge.
    for (const challenge of value.split(/,?\s*(?=\b(?:Digest|Basic)\s)/i)) {
      const trimmed = challenge.trim();
      if (/^Basic\b/i.test(trimmed)) {
        result.hasBasic = true;
      } else if (/^Digest\s/i.test(trimmed)) {
        const parsed = parseDigestChallenge(trimmed.replace(/^Digest\s+/i, ''));
        if (parsed) {
          result.digest.push(parsed);
        }
      }
    }
  }
  return result;
}

/** Picks the strongest challenge this client supports: SHA-256 before MD5. */
export function chooseChallenge(challenges: readonly DigestChallenge[]): DigestChallenge | null {
  for (const algorithm of SUPPORTED_ALGORITHMS) {
    const match = challenges.find((challenge) => challenge.algorithm === algorithm);
    if (match) {
      return match;
    }
  }
  return null;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

/**
 * Builds the Authorization header value for one request.
 * `uri` must be the request-target exactly as sent. `body` is needed only for qop=auth-int.
 */
export function buildDigestAuthorization(
  challenge: DigestChallenge,
  credentials: DigestCredentials,
  method: string,
  uri: string,
  body: Buffer = Buffer.alloc(0),
): string {
  const hashName = challenge.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const hash = (text: string | Buffer): string => createHash(hashName).update(text).digest('hex');
  const cnonce = randomBytes(16).toString('hex');
  const nonceCount = '00000001';

  let ha1 = hash(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (challenge.algorithm.endsWith('-SESS')) {
    ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
  }

  const qop = challenge.qop.includes('auth') ? 'auth' : challenge.qop.includes('auth-int') ? 'auth-int' : null;
  const ha2 = qop === 'auth-int' ? hash(`${method}:${uri}:${hash(body)}`) : hash(`${method}:${uri}`);
  const response = qop
    ? hash(`${ha1}:${challenge.nonce}:${nonceCount}:${cnonce}:${qop}:${ha2}`)
    : hash(`${ha1}:${challenge.nonce}:${ha2}`);

  const parts = [
    `username="${quote(credentials.username)}"`,
    `realm="${quote(challenge.realm)}"`,
    `nonce="${quote(challenge.nonce)}"`,
    `uri="${quote(uri)}"`,
    `response="${response}"`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (qop) {
    parts.push(`qop=${qop}`, `nc=${nonceCount}`, `cnonce="${cnonce}"`);
  }
  if (challenge.opaque !== null) {
    parts.push(`opaque="${quote(challenge.opaque)}"`);
  }
  return `Digest ${parts.join(', ')}`;
}

export function buildBasicAuthorization(credentials: DigestCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

function parseDigestChallenge(text: string): DigestChallenge | null {
  const params: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  const realm = params['realm'];
  const nonce = params['nonce'];
  if (realm === undefined || nonce === undefined) {
    return null;
  }
  return {
    realm,
    nonce,
    opaque: params['opaque'] ?? null,
    algorithm: (params['algorithm'] ?? 'MD5').toUpperCase(),
    qop: (params['qop'] ?? '')
      .split(',')
      .map((option) => option.trim().toLowerCase())
      .filter((option) => option !== ''),
    isStale: (params['stale'] ?? '').toLowerCase() === 'true',
  };
}

function quote(value: string): string {
  return value.replace(/(["\\])/g, '\\$1');
}
