import { isIP } from 'node:net';

/** Strips the IPv4-mapped IPv6 prefix so `::ffff:10.0.0.5` and `10.0.0.5` compare equal. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

/** True for an IP address or a DNS host name (RFC 1123 labels). */
export function isHostName(value: string): boolean {
  if (isIP(value) !== 0) return true;
  return /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(value);
}
