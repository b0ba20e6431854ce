import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';
import { ChainVerifier, hashAuditRow, type ChainVerification } from './audit-chain.js';

export interface AuditEntry {
  userId: number | null;
  username: string | null;
  /** Comma-separated role codes of the acting user; looked up from users when omitted and userId is set. */
  role?: string | null;
  clientIp: string | null;
  action: string;
  targetType?: string;
  targetId?: string | number;
  result: 'success' | 'failure';
  details?: Record<string, unknown>;
}

/** Rows read per query while verifying, so a long chain is never loaded at once. */
const VERIFY_BATCH_SIZE = 1000;

/**
 * Appends audit events (who did what to which target, from where, with what result) to a hash chain,
 * and verifies that chain. Appends are serialized: on PostgreSQL by locking the chain-head row
 * (SELECT … FOR UPDATE), on SQLite by the single connection that runs each transaction alone.
 */
export class AuditService {
  constructor(private readonly db: Db) {}

  /**
   * Appends one event to the chain. Inside another transaction, pass it as `trx`: on SQLite the single
   * connection is busy until that transaction ends, so a separate append from inside it would wait forever.
   */
  async record(entry: AuditEntry, trx?: Transaction<Database>): Promise<void> {
    const role = entry.role !== undefined ? entry.role : await this.lookUpRoles(entry.userId, trx);
    const fields = {
      at: nowIso(),
      user_id: entry.userId,
      username: entry.username,
      role,
      client_ip: entry.clientIp,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId === undefined ? null : String(entry.targetId),
      result: entry.result,
      details: entry.details ? JSON.stringify(entry.details) : null,
    };

    const append = async (transaction: Transaction<Database>) => {
      const head = await this.lockHead(transaction);
      const seq = head.count + 1;
      const hash = hashAuditRow({ ...fields, seq, prev_hash: head.last_hash });
      await transaction.insertInto('audit_events').values({ ...fields, seq, prev_hash: head.last_hash, hash }).execute();
      await transaction.updateTable('audit_chain_head').set({ count: seq, last_hash: hash }).where('id', '=', 1).execute();
    };
    if (trx) await append(trx);
    else await this.db.kysely.transaction().execute(append);
  }

  /** Recomputes every row's hash in chain order and compares the end with the chain head. */
  async verify(): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    let afterSeq = 0;
    for (;;) {
      const rows = await this.db.kysely
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(VERIFY_BATCH_SIZE)
        .execute();
      for (const row of rows) {
        verifier.push({ ...row, seq: Number(row.seq), prev_hash: row.prev_hash ?? '', hash: row.hash ?? '' });
      }
      const last = rows.at(-1);
      if (!last || verifier.isBroken || rows.length < VERIFY_BATCH_SIZE) break;
      afterSeq = Number(last.seq);
    }

    // Rows with no seq were inserted around the chain (not through record()); they count as a break.
    const unchained = await this.db.kysely.selectFrom('audit_events').select('id').where('seq', 'is', null).orderBy('id').executeTakeFirst();
    const head = await this.db.kysely.selectFrom('audit_chain_head').select(['count', 'last_hash']).where('id', '=', 1).executeTakeFirst();
    const result = verifier.finish(head ? { count: Number(head.count), last_hash: head.last_hash } : undefined);
    if (result.ok && unchained) {
      return { ...result, ok: false, brokenId: unchained.id, brokenSeq: null, reason: 'unchained_row' };
    }
    return result;
  }

  private async lookUpRoles(userId: number | null, trx?: Transaction<Database>): Promise<string | null> {
    if (userId === null) return null;
    const user = await (trx ?? this.db.kysely)
      .selectFrom('users').select('roles').where('id', '=', userId).executeTakeFirst();
    return user?.roles ?? null;
  }

  private async lockHead(transaction: Transaction<Database>): Promise<{ count: number; last_hash: string }> {
    const query = transaction.selectFrom('audit_chain_head').select(['count', 'last_hash']).where('id', '=', 1);
    const head = this.db.dialect === 'postgres' ? await query.forUpdate().executeTakeFirst() : await query.executeTakeFirst();
    // The migration creates the head. Recreating it here would hide deleted rows at the end of the
    // chain, so a missing head stops every append until an administrator restores it.
    if (!head) throw new Error('audit chain head (audit_chain_head id 1) is missing: run audit-verify and restore the table from a backup');
    return { count: Number(head.count), last_hash: head.last_hash };
  }
}
