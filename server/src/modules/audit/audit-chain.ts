import { createHash } from 'node:crypto';

/** The fields of an audit row that its hash covers, in the order they are serialized. */
export interface ChainedFields {
  seq: number;
  at: string;
  user_id: number | null;
  username: string | null;
  role: string | null;
  client_ip: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  result: string;
  details: string | null;
  prev_hash: string;
}

/** prev_hash of the first row: 64 zeros, the width of a SHA-256 hex digest. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Serializes the row as a JSON array in a fixed field order. An array keeps the form independent of
 * object key order, and JSON escaping keeps a separator inside a value from shifting the fields.
 */
export function canonicalContent(row: ChainedFields): string {
  return JSON.stringify([
    row.seq,
    row.at,
    row.user_id,
    row.username,
    row.role,
    row.client_ip,
    row.action,
    row.target_type,
    row.target_id,
    row.result,
    row.details,
    row.prev_hash,
  ]);
}

/** Returns the SHA-256 hex digest of the row's canonical content, which includes the previous row's hash. */
export function hashAuditRow(row: ChainedFields): string {
  return createHash('sha256').update(canonicalContent(row), 'utf8').digest('hex');
}

export interface StoredAuditRow extends ChainedFields {
  id: number;
  hash: string;
}

export interface ChainHead {
  count: number;
  last_hash: string;
}

export type ChainBreakReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' | 'rows_missing_at_end' | 'head_missing' | 'unchained_row';

export interface ChainVerification {
  ok: boolean;
  /** Rows checked. */
  checked: number;
  /** Row count recorded in the chain head. */
  expected: number;
  /** First row that fails the check, or null when the break is at the end or the chain is intact. */
  brokenId: number | null;
  /** Chain position (1-based) where the break was found, or null when the chain is intact. */
  brokenSeq: number | null;
  reason: ChainBreakReason | null;
}

/**
 * Checks rows in sequence order, one batch at a time, against each other and the chain head.
 * Call `push` for every row in ascending seq order, then `finish` with the head.
 * An edited row fails its own hash. A deleted row leaves a gap in seq before the next row. Deleted rows
 * at the end leave fewer rows than the head's count.
 */
export class ChainVerifier {
  private checked = 0;
  private previousHash = GENESIS_HASH;
  private broken: Pick<ChainVerification, 'brokenId' | 'brokenSeq' | 'reason'> | null = null;

  get isBroken(): boolean {
    return this.broken !== null;
  }

  push(row: StoredAuditRow): void {
    if (this.broken) return;
    const expectedSeq = this.checked + 1;
    if (Number(row.seq) !== expectedSeq) {
      this.broken = { brokenId: row.id, brokenSeq: expectedSeq, reason: 'sequence_gap' };
      return;
    }
    if (row.prev_hash !== this.previousHash) {
      this.broken = { brokenId: row.id, brokenSeq: expectedSeq, reason: 'prev_hash_mismatch' };
      return;
    }
    if (hashAuditRow({ ...row, seq: Number(row.seq) }) !== row.hash) {
      this.broken = { brokenId: row.id, brokenSeq: expectedSeq, reason: 'hash_mismatch' };
      return;
    }
    this.checked = expectedSeq;
    this.previousHash = row.hash;
  }

  finish(head: ChainHead | undefined): ChainVerification {
    const expected = head ? Number(head.count) : 0;
    if (this.broken) return { ok: false, checked: this.checked, expected, ...this.broken };
    if (!head) {
      const reason = this.checked > 0 ? 'head_missing' : null;
      return { ok: reason === null, checked: this.checked, expected, brokenId: null, brokenSeq: reason ? 1 : null, reason };
    }
    if (this.checked !== expected || this.previousHash !== head.last_hash) {
      return { ok: false, checked: this.checked, expected, brokenId: null, brokenSeq: this.checked + 1, reason: 'rows_missing_at_end' };
    }
    return { ok: true, checked: this.checked, expected, brokenId: null, brokenSeq: null, reason: null };
  }
}

const reasonTexts: Record<ChainBreakReason, string> = {
  hash_mismatch: '该条记录的内容已被修改，与其哈希值不符',
  prev_hash_mismatch: '该条记录与前一条记录的链接不符，前一条记录可能已被删除或修改',
  sequence_gap: '该条记录之前的记录已被删除',
  rows_missing_at_end: '日志末尾的记录已被删除',
  head_missing: '链头记录缺失，无法确认日志是否完整',
  unchained_row: '该条记录不在哈希链中，可能是绕过系统直接写入数据库的',
};

/** Describes the verification result in Chinese, for the CLI and the audit screen. */
export function describeVerification(result: ChainVerification): string {
  if (result.ok) return `日志完整性校验通过：共 ${result.checked} 条记录，哈希链完整。`;
  const reason = result.reason ? reasonTexts[result.reason] : '未知原因';
  let where = `第 ${result.brokenSeq} 条记录`;
  if (result.brokenId !== null) where = result.brokenSeq === null ? `编号 ${result.brokenId} 的记录` : `第 ${result.brokenSeq} 条记录（编号 ${result.brokenId}）`;
  return `日志完整性校验失败：${where}，${reason}。已校验 ${result.checked} 条，链头登记 ${result.expected} 条。`;
}
