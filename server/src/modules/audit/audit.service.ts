import type { Db } from '../../db/database.js';
import { nowIso } from '../../lib/time.js';

export interface AuditEntry {
  userId: number | null;
  username: string | null;
  clientIp: string | null;
  action: string;
  targetType?: string;
  targetId?: string | number;
  result: 'success' | 'failure';
  details?: Record<string, unknown>;
}

/** Appends audit events: who did what to which target, from where, with what result. */
export class AuditService {
  constructor(private readonly db: Db) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.kysely
      .insertInto('audit_events')
      .values({
        at: nowIso(),
        user_id: entry.userId,
        username: entry.username,
        client_ip: entry.clientIp,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId === undefined ? null : String(entry.targetId),
        result: entry.result,
        details: entry.details ? JSON.stringify(entry.details) : null,
      })
      .execute();
  }
}
