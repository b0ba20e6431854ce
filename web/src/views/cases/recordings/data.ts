import { activeDeliveryStates } from '@/api/deliveries';
import type { SessionKind, SessionState, SessionWithFiles } from '@/api/sessions';
import { t } from '@/locales';

/** States after which the archive worker still has work to do, so the details dialog keeps refreshing. */
const pendingStates: ReadonlySet<SessionState> = new Set(['recording', 'ended', 'fetching']);

export function isArchivePending(session: SessionWithFiles): boolean {
  return pendingStates.has(session.state);
}

/** Returns whether an 易办案 package of the session is still queued, waiting for a retry or sending. */
export function isDeliveryPending(session: SessionWithFiles): boolean {
  return session.yibanan?.packages.some((delivery) => activeDeliveryStates.includes(delivery.state)) ?? false;
}

/** Returns whether every pending 易办案 package of the session waits for its next attempt, with none queued or sending. */
export function isDeliveryOnlyRetrying(session: SessionWithFiles): boolean {
  const pending = session.yibanan?.packages.filter((delivery) => activeDeliveryStates.includes(delivery.state)) ?? [];
  return pending.length > 0 && pending.every((delivery) => delivery.state === 'retrying');
}

/** Sorts newest first. The shown number stays chronological (第 1 次 is the earliest session). */
export function sortNewestFirst(sessions: SessionWithFiles[]): SessionWithFiles[] {
  return [...sessions].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
}

const kindLabels: Record<SessionKind, string> = {
  room: t.recordings.kindRoom,
  'off-site': t.recordings.kindOffSite,
  backfill: t.recordings.kindBackfill,
};

export function getKindLabel(kind: SessionKind): string {
  return kindLabels[kind] ?? kind;
}

/** Interval of the details dialog's refresh while an archive is pending. */
export const refreshIntervalMs = 5000;
