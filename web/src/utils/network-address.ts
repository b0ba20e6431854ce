/** Returns whether the text is a dotted-quad IPv4 address without leading zeros, e.g. `192.168.0.90`. */
export function isIpv4Address(value: string): boolean {
  const parts = value.trim().split('.');
  if (parts.length !== 4) return false;

  return parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}

/** Returns whether the text is an IPv4 address or a DNS host name (letters, digits, hyphens, dots). */
export function isHostAddress(value: string): boolean {
  const host = value.trim();
  if (isIpv4Address(host)) return true;
  if (/^[\d.]+$/.test(host)) return false;

  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  return host.length <= 253 && host.split('.').every((part) => label.test(part));
}

/** Returns whether the value is a whole TCP port number, 1–65535. */
export function isPort(value: number | null | undefined): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}
