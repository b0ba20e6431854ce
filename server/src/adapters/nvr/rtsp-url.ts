import net from 'node:net';

import type { NvrConnection } from './nvr.types.js';

/**
 * Builds rtsp://user:password@host:port/path with the credentials percent-encoded (RFC 3986
 * userinfo), so passwords with @ # : / ? survive. ffmpeg decodes them before authenticating.
 * `pathAndQuery` starts with "/".
 */
export function buildRtspUrl(conn: NvrConnection, pathAndQuery: string, withCredentials = true): string {
  const userInfo = withCredentials ? `${encodeUserInfo(conn.username)}:${encodeUserInfo(conn.password)}@` : '';
  return `rtsp://${userInfo}${formatHost(conn.host)}:${conn.rtspPort}${pathAndQuery}`;
}

/** Percent-encodes everything outside the RFC 3986 unreserved set, including the !'()* that encodeURIComponent keeps. */
function encodeUserInfo(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Puts an IPv6 literal in brackets, as URLs require. */
export function formatHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}
