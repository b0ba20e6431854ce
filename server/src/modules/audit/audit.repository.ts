import { sql, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';

export interface AuditSearch {
  /** Inclusive lower bound of `at`, ISO 8601 UTC. */
  from?: string;
  /** Inclusive upper bound of `at`, ISO 8601 UTC. */
  to?: string;
  /** Substring of the username. */
  username?: string;
  action?: string;
  targetType?: string;
  /** Exact target id, such as a case or file number. */
  targetId?: string;
  result?: 'success' | 'failure';
  /** Substring of the client IP. */
  clientIp?: string;
  sortBy: AuditSortColumn;
  order: 'asc' | 'desc';
}

export const auditSortColumns = { at: 'at', username: 'username', action: 'action', result: 'result', clientIp: 'client_ip' } as const;
export type AuditSortColumn = keyof typeof auditSortColumns;

export interface AuditEventRow {
  id: number;
  seq: number | null;
  at: string;
  user_id: number | null;
  username: string | null;
  display_name: string | null;
  role: string | null;
  client_ip: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  result: string;
  details: string | null;
}

export interface FileAccessRow {
  id: number;
  at: string;
  username: string | null;
  display_name: string | null;
  client_ip: string | null;
  action: string;
  result: string;
  file_id: number;
  file_name: string;
  session_id: number;
}

/** Builds `column LIKE '%text%'` with the wildcards in text escaped, so a typed % or _ matches itself. */
function contains(column: 'audit_events.username' | 'audit_events.client_ip', text: string) {
  const pattern = `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  // SQLite has no default LIKE escape character, so it is named for both dialects.
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

export class AuditRepository {
  constructor(private readonly db: Db) {}

  async search(filter: AuditSearch, offset: number, limit: number): Promise<{ rows: AuditEventRow[]; total: number }> {
    const counted = await this.filtered(filter).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
    const rows = await this.page(filter, offset, limit);
    return { rows, total: Number(counted.total) };
  }

  /** Reads one page of the search in its sort order; the id tie-break keeps pages stable for exports. */
  async page(filter: AuditSearch, offset: number, limit: number): Promise<AuditEventRow[]> {
    return this.filtered(filter)
      .leftJoin('users', 'users.id', 'audit_events.user_id')
      .select([
        'audit_events.id',
        'audit_events.seq',
        'audit_events.at',
        'audit_events.user_id',
        'audit_events.username',
        'users.display_name',
        'audit_events.role',
        'audit_events.client_ip',
        'audit_events.action',
        'audit_events.target_type',
        'audit_events.target_id',
        'audit_events.result',
        'audit_events.details',
      ])
      .orderBy(`audit_events.${auditSortColumns[filter.sortBy]}`, filter.order)
      .orderBy('audit_events.id', filter.order)
      .offset(offset)
      .limit(limit)
      .execute();
  }

  /** Plays and downloads of the files of one case's sessions, newest first. */
  async listFileAccess(caseId: number, limit: number): Promise<FileAccessRow[]> {
    const files = await this.db.kysely
      .selectFrom('media_files')
      .innerJoin('recording_sessions', 'recording_sessions.id', 'media_files.session_id')
      .select(['media_files.id', 'media_files.file_name', 'media_files.session_id'])
      .where('recording_sessions.case_id', '=', caseId)
      .execute();
    if (files.length === 0) return [];
    const fileById = new Map(files.map((file) => [String(file.id), file]));

    const events = await this.db.kysely
      .selectFrom('audit_events')
      .leftJoin('users', 'users.id', 'audit_events.user_id')
      .select([
        'audit_events.id',
        'audit_events.at',
        'audit_events.username',
        'users.display_name',
        'audit_events.client_ip',
        'audit_events.action',
        'audit_events.result',
        'audit_events.target_id',
      ])
      .where('audit_events.target_type', '=', 'media_file')
      .where('audit_events.target_id', 'in', [...fileById.keys()])
      .where('audit_events.action', 'in', ['file.play', 'file.download'])
      .orderBy('audit_events.at', 'desc')
      .orderBy('audit_events.id', 'desc')
      .limit(limit)
      .execute();

    return events.flatMap((event) => {
      const file = fileById.get(event.target_id ?? '');
      if (!file) return [];
      const { target_id: _targetId, ...rest } = event;
      return [{ ...rest, file_id: file.id, file_name: file.file_name, session_id: file.session_id }];
    });
  }

  private filtered(filter: AuditSearch): SelectQueryBuilder<Database, 'audit_events', object> {
    let query = this.db.kysely.selectFrom('audit_events') as SelectQueryBuilder<Database, 'audit_events', object>;
    if (filter.from) query = query.where('audit_events.at', '>=', filter.from);
    if (filter.to) query = query.where('audit_events.at', '<=', filter.to);
    if (filter.username) query = query.where(contains('audit_events.username', filter.username));
    if (filter.action) query = query.where('audit_events.action', '=', filter.action);
    if (filter.targetType) query = query.where('audit_events.target_type', '=', filter.targetType);
    if (filter.targetId) query = query.where('audit_events.target_id', '=', filter.targetId);
    if (filter.result) query = query.where('audit_events.result', '=', filter.result);
    if (filter.clientIp) query = query.where(contains('audit_events.client_ip', filter.clientIp));
    return query;
  }
}
