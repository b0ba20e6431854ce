/**
 * Conversions between real instants (epoch ms) and the simulated NVR's local wall-clock strings.
 *
 * The device clock is `real + clockOffsetMs`, shown in a fixed UTC offset (no daylight saving, as in
 * China). A time that a client sends is read on that clock, so `real = deviceTime - clockOffsetMs`.
 */
export interface DeviceClock {
  utcOffsetMinutes: number;
  clockOffsetMs: number;
}

interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const DAHUA_HTTP_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DAHUA_RTSP_TIME = /^(\d{4})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{2})$/;
const HIKVISION_RTSP_TIME = /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(\d{2})[Zz]$/;

/** Parses a `+08:00` / `-05:30` / `+0800` offset into minutes east of UTC, or returns null. */
export function parseUtcOffset(text: string): number | null {
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!match) {
    return null;
  }
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  if (minutes > 14 * 60) {
    return null;
  }
  return match[1] === '-' ? -minutes : minutes;
}

export function formatUtcOffset(utcOffsetMinutes: number): string {
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(utcOffsetMinutes);
  return `${sign}${pad2(Math.floor(absolute / 60))}:${pad2(absolute % 60)}`;
}

/** Formats the device clock at real instant `realMs` as `2026-12-04 20:30:00` (Dahua CGI style). */
export function formatDahuaTime(realMs: number, clock: DeviceClock): string {
  const fields = toLocalFields(realMs, clock);
  return (
    `${fields.year}-${pad2(fields.month)}-${pad2(fields.day)} ` +
    `${pad2(fields.hour)}:${pad2(fields.minute)}:${pad2(fields.second)}`
  );
}

/** Formats the device clock at `realMs` as `2026-12-04T20:30:00+08:00` (Hikvision ISAPI style). */
export function formatIsapiTime(realMs: number, clock: DeviceClock): string {
  const fields = toLocalFields(realMs, clock);
  return (
    `${fields.year}-${pad2(fields.month)}-${pad2(fields.day)}T` +
    `${pad2(fields.hour)}:${pad2(fields.minute)}:${pad2(fields.second)}${formatUtcOffset(clock.utcOffsetMinutes)}`
  );
}

/** Parses a Dahua CGI time (`2026-12-04 20:30:00`, device clock) into a real instant, or null. */
export function parseDahuaTime(text: string, clock: DeviceClock): number | null {
  return parseWithPattern(DAHUA_HTTP_TIME, text, clock);
}

/** Parses a Dahua RTSP playback time (`2026_12_04_20_30_00`) into a real instant, or null. */
export function parseDahuaRtspTime(text: string, clock: DeviceClock): number | null {
  return parseWithPattern(DAHUA_RTSP_TIME, text, clock);
}

/**
 * Parses a Hikvision RTSP playback time (`20261204T203000Z`) into a real instant, or null.
 * The trailing Z is read as device-local time, matching what Tonglu's Hikvision adapter sends.
 * NOTE: whether real Hikvision firmware reads the Z as UTC or as local time is unverified.
 */
export function parseHikvisionRtspTime(text: string, clock: DeviceClock): number | null {
  return parseWithPattern(HIKVISION_RTSP_TIME, text, clock);
}

function parseWithPattern(pattern: RegExp, text: string, clock: DeviceClock): number | null {
  const match = pattern.exec(text);
  if (!match) {
    return null;
  }
  const fields: LocalFields = {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4]),
    minute: Number(match[5]),
    second: Number(match[6]),
  };
  const localAsUtcMs = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);

  // Date.UTC rolls 2026-02-30 over to March, so such dates are rejected instead of guessed.
  const roundTrip = new Date(localAsUtcMs);
  if (
    roundTrip.getUTCFullYear() !== fields.year ||
    roundTrip.getUTCMonth() !== fields.month - 1 ||
    roundTrip.getUTCDate() !== fields.day ||
    roundTrip.getUTCHours() !== fields.hour ||
    roundTrip.getUTCMinutes() !== fields.minute ||
    roundTrip.getUTCSeconds() !== fields.second
  ) {
    return null;
  }

  return localAsUtcMs - clock.utcOffsetMinutes * 60_000 - clock.clockOffsetMs;
}

function toLocalFields(realMs: number, clock: DeviceClock): LocalFields {
  const shifted = new Date(realMs + clock.clockOffsetMs + clock.utcOffsetMinutes * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
