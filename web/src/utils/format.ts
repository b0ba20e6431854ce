import { t } from '@/locales';

const dash = t.format.dash;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

// Times are shown in China Standard Time (UTC+8, no daylight saving), the time the NVRs burn into the picture,
// whatever time zone the viewing PC is set to.
const CHINA_OFFSET_MS = 8 * 3600 * 1000;

/** Formats an ISO 8601 time as China time `YYYY-MM-DD HH:mm:ss`, or a dash when absent or invalid. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return dash;

  const time = Date.parse(iso);
  if (Number.isNaN(time)) return dash;

  const date = new Date(time + CHINA_OFFSET_MS);
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** Formats a YYYY-MM-DD date as given (no time zone shift), or a dash when absent. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return dash;
  return value.slice(0, 10);
}

/** Formats a duration in milliseconds as HH:MM:SS, with hours past 99 when needed. Negative counts as 0. */
export function formatDuration(milliseconds: number | null | undefined): string {
  if (milliseconds === null || milliseconds === undefined || Number.isNaN(milliseconds)) return dash;

  const totalSeconds = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
}

/** Returns the time between two ISO 8601 times as HH:MM:SS, or a dash while the end is missing. */
export function formatSpan(startIso: string | null, endIso: string | null): string {
  if (!startIso || !endIso) return dash;
  return formatDuration(Date.parse(endIso) - Date.parse(startIso));
}

/** Formats a byte count with binary units (1 KB = 1024 B), e.g. `1.5 GB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || bytes < 0) return dash;

  const units = t.format.bytes;
  let value = bytes;
  let unitIndex = 0;
  while (value >= 1024 && unitIndex < units.length - 1) {
    value /= 1024;
    unitIndex += 1;
  }

  // Three significant digits for KB and up (1.50 GB, 24.0 MB, 240 KB), whole bytes below 1 KB.
  let digits = 0;
  if (unitIndex > 0 && value < 10) digits = 2;
  else if (unitIndex > 0 && value < 100) digits = 1;
  return `${value.toFixed(digits)} ${units[unitIndex]}`;
}

/** Formats milliseconds as seconds with one decimal, without the sign, e.g. `-1530` → `1.5`. */
export function formatSecondsAbs(milliseconds: number): string {
  return (Math.abs(milliseconds) / 1000).toFixed(1);
}
