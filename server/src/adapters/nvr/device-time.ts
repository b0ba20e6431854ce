/**
 * Conversions between UTC instants and the wall-clock strings that NVRs use. NVR time parameters
 * are device local time with no zone, so the room's UTC offset is applied here.
 */

export type DeviceTimeStyle =
  /** `2026-12-04 20:30:00`, Dahua CGI. */
  | 'dahua-cgi'
  /** `2026_12_04_20_30_00`, Dahua RTSP playback. */
  | 'dahua-rtsp'
  /** `20261204T203000Z`, Hikvision RTSP playback. */
  | 'hikvision-rtsp';

interface LocalFields {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

/** Formats `instant` as device local time, dropping the milliseconds. */
export function formatDeviceTime(instant: Date, utcOffsetMinutes: number, style: DeviceTimeStyle): string {
  const fields = toLocalFields(instant, utcOffsetMinutes);
  switch (style) {
    case 'dahua-cgi':
      return `${fields.year}-${fields.month}-${fields.day} ${fields.hour}:${fields.minute}:${fields.second}`;
    case 'dahua-rtsp':
      return `${fields.year}_${fields.month}_${fields.day}_${fields.hour}_${fields.minute}_${fields.second}`;
    case 'hikvision-rtsp':
      return `${fields.year}${fields.month}${fields.day}T${fields.hour}${fields.minute}${fields.second}Z`;
  }
}

/**
 * Parses `2026-12-04 20:30:00` (device local time) into a UTC instant, or returns null.
 * Single-digit fields (`2026-12-4 9:05:00`) are accepted as well.
 */
export function parseDahuaTime(text: string, utcOffsetMinutes: number): Date | null {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(text.trim());
  if (!match) {
    return null;
  }
  return fromLocalParts(match.slice(1).map(Number), utcOffsetMinutes);
}

/**
 * Parses an ISAPI `localTime` such as `2026-12-04T20:30:00+08:00`. A time with an explicit offset
 * or Z is read with it, and a time without one in `utcOffsetMinutes`. Returns null when invalid.
 */
export function parseIsapiTime(text: string, utcOffsetMinutes: number): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (!match) {
    return null;
  }
  const zone = match[7];
  let offsetMinutes = utcOffsetMinutes;
  if (zone !== undefined) {
    offsetMinutes = zone.toUpperCase() === 'Z' ? 0 : parseOffset(zone);
  }
  return fromLocalParts(match.slice(1, 7).map(Number), offsetMinutes);
}

function parseOffset(zone: string): number {
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return digits.startsWith('-') ? -minutes : minutes;
}

function fromLocalParts(parts: number[], utcOffsetMinutes: number): Date | null {
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const localAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(localAsUtc);
  // Date.UTC rolls invalid dates (February 30) over, so they are rejected here.
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  return new Date(localAsUtc - utcOffsetMinutes * 60_000);
}

function toLocalFields(instant: Date, utcOffsetMinutes: number): LocalFields {
  const shifted = new Date(instant.getTime() + utcOffsetMinutes * 60_000);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return {
    year: String(shifted.getUTCFullYear()).padStart(4, '0'),
    month: pad(shifted.getUTCMonth() + 1),
    day: pad(shifted.getUTCDate()),
    hour: pad(shifted.getUTCHours()),
    minute: pad(shifted.getUTCMinutes()),
    second: pad(shifted.getUTCSeconds()),
  };
}

/** Rounds a range outwards to whole seconds, because vendor time parameters have no fractions. */
export function widenToSeconds(from: Date, to: Date): { from: Date; to: Date } {
  const fromMs = Math.floor(from.getTime() / 1000) * 1000;
  const toMs = Math.max(Math.ceil(to.getTime() / 1000) * 1000, fromMs + 1000);
  return { from: new Date(fromMs), to: new Date(toMs) };
}
