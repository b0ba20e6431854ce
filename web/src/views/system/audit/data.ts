import { t } from '@/locales';

/**
 * Turns an audit event's details JSON into Chinese `名称：值` pairs for the table. Unknown keys and
 * values are shown as they are stored, and text that is not a JSON object is returned unchanged.
 */
export function formatAuditDetails(details: string | null): string {
  if (!details) return '';

  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return details;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return details;

  return Object.entries(parsed as Record<string, unknown>)
    .map(([key, value]) => `${t.audit.detailKeys[key] ?? key}：${formatDetailValue(value)}`)
    .join('；');
}

function formatDetailValue(value: unknown): string {
  if (typeof value === 'string') return t.audit.detailValues[value] ?? value;
  if (typeof value === 'boolean') return value ? t.common.yes : t.common.no;
  return JSON.stringify(value);
}
