import { describe, expect, it } from 'vitest';
import { canonicalContent, ChainVerifier, describeVerification, GENESIS_HASH, hashAuditRow, type StoredAuditRow } from '../../src/modules/audit/audit-chain.js';
import { csvField } from '../../src/modules/audit/audit-export.js';

function buildChain(length: number): StoredAuditRow[] {
  const rows: StoredAuditRow[] = [];
  let previousHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq += 1) {
    const fields = {
      seq,
      at: `2026-01-01T00:00:0${seq}.000Z`,
      user_id: 2,
      username: 'zhangming',
      role: 'officer',
      client_ip: '127.0.0.1',
      action: 'file.play',
      target_type: 'media_file',
      target_id: String(seq),
      result: 'success',
      details: null,
      prev_hash: previousHash,
    };
    const hash = hashAuditRow(fields);
    rows.push({ ...fields, id: seq + 100, hash });
    previousHash = hash;
  }
  return rows;
}

function verify(rows: StoredAuditRow[], head = { count: 5, last_hash: buildChain(5).at(-1)?.hash ?? '' }) {
  const verifier = new ChainVerifier();
  for (const row of rows) verifier.push(row);
  return verifier.finish(head);
}

describe('audit hash chain', () => {
  it('accepts an intact chain', () => {
    const result = verify(buildChain(5));
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(5);
  });

  it('accepts an empty chain with an empty head', () => {
    expect(verify([], { count: 0, last_hash: GENESIS_HASH }).ok).toBe(true);
  });

  it('detects an edited field', () => {
    const rows = buildChain(5);
    rows[2] = { ...rows[2]!, result: 'failure' };
    const result = verify(rows);
    expect(result).toMatchObject({ ok: false, brokenId: 103, brokenSeq: 3, reason: 'hash_mismatch' });
  });

  it('detects a rehashed edit by the next link', () => {
    const rows = buildChain(5);
    const edited = { ...rows[1]!, username: 'intruder' };
    rows[1] = { ...edited, hash: hashAuditRow(edited) };
    expect(verify(rows)).toMatchObject({ ok: false, brokenId: 103, reason: 'prev_hash_mismatch' });
  });

  it('detects a deleted middle row', () => {
    const rows = buildChain(5);
    rows.splice(1, 1);
    expect(verify(rows)).toMatchObject({ ok: false, brokenId: 103, brokenSeq: 2, reason: 'sequence_gap' });
  });

  it('detects a deleted last row', () => {
    const rows = buildChain(5).slice(0, 4);
    expect(verify(rows)).toMatchObject({ ok: false, brokenId: null, brokenSeq: 5, reason: 'rows_missing_at_end' });
  });

  it('describes an unchained row by id', () => {
    const message = describeVerification({ ok: false, checked: 5, expected: 5, brokenId: 42, brokenSeq: null, reason: 'unchained_row' });
    expect(message).toContain('编号 42 的记录，该条记录不在哈希链中');
  });

  it('detects a missing head', () => {
    const verifier = new ChainVerifier();
    for (const row of buildChain(2)) verifier.push(row);
    expect(verifier.finish(undefined)).toMatchObject({ ok: false, reason: 'head_missing' });
  });

  it('keeps separators inside values apart', () => {
    const [row] = buildChain(1);
    const shifted = { ...row!, username: 'zhang","ming', role: 'x' };
    const plain = { ...row!, username: 'zhang', role: 'ming","x' };
    expect(canonicalContent(shifted)).not.toBe(canonicalContent(plain));
  });

  it('describes results in Chinese', () => {
    expect(describeVerification(verify(buildChain(5)))).toBe('日志完整性校验通过：共 5 条记录，哈希链完整。');
    const rows = buildChain(5);
    rows[0] = { ...rows[0]!, action: 'auth.login' };
    expect(describeVerification(verify(rows))).toContain('第 1 条记录（编号 101），该条记录的内容已被修改');
  });
});

describe('csvField', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
  });

  it('neutralizes spreadsheet formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('@cmd')).toBe("'@cmd");
  });
});
