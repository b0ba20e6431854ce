import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildPackage, buildPackageId, findReceiptMismatch, planFilePaths, toChinaTime, type PackageSource } from '../../src/modules/delivery/delivery-manifest.js';

const source: PackageSource = {
  sessionId: 42,
  startedAt: '2026-03-01T01:30:00.000Z',
  endedAt: '2026-03-01T02:40:00.000Z',
  caseNumber: '昆检刑诉受[2026]320583000123号',
  unifiedNumber: '32058320260000123',
  caseName: '王某某盗窃案',
  category: '一审公诉案件',
  suspectName: '王某某',
  idTypeCode: '111',
  idTypeName: '居民身份证',
  idNumber: '320583199001011234',
  roomName: '刑检-101讯问室',
  operatorName: '张明',
  operatorUsername: 'zhangming',
  operatorEmployeeNo: '0371',
};

const video = { id: 7, kind: 'video' as const, fileName: '王某某盗窃案_王某某.mp4', size: 123, sha256: 'a'.repeat(64), sm3: 'b'.repeat(64) };
const document = { id: 3, kind: 'document' as const, fileName: '笔录.pdf', size: 45, sha256: 'c'.repeat(64), sm3: 'd'.repeat(64) };

describe('delivery manifest', () => {
  it('builds package ids per session and sequence', () => {
    expect(buildPackageId('320583', 42, 1)).toBe('TL-320583-42-1');
    expect(buildPackageId('320583', 42, 3)).toBe('TL-320583-42-3');
  });

  it('formats times in China Standard Time', () => {
    expect(toChinaTime('2026-03-01T01:30:00.000Z')).toBe('2026-03-01T09:30:00+08:00');
    expect(toChinaTime('2026-03-01T20:00:00.000Z')).toBe('2026-03-02T04:00:00+08:00');
  });

  it('puts videos first and numbers every path', () => {
    const twin = { ...document, id: 9 };
    const paths = planFilePaths([document, video, twin]).map((file) => file.path);
    expect(paths).toEqual(['video/1-王某某盗窃案_王某某.mp4', 'documents/2-笔录.pdf', 'documents/3-笔录.pdf']);
  });

  it('keeps the extension of long or unsafe names', () => {
    const [file] = planFilePaths([{ ...document, fileName: `${'长'.repeat(80)}/a?.PDF` }]);
    expect(file?.path.startsWith('documents/1-')).toBe(true);
    expect(file?.path.endsWith('.pdf')).toBe(true);
    expect(file?.path.split('/')).toHaveLength(2);
  });

  it('freezes the manifest bytes and hash', () => {
    const planned = buildPackage('320583', source, 1, null, [video, document], '2026-03-01T02:41:00.000Z');
    expect(planned.packageId).toBe('TL-320583-42-1');
    expect(planned.kind).toBe('session');
    expect(planned.bytesTotal).toBe(168);
    expect(planned.manifestSha256).toBe(createHash('sha256').update(planned.manifest, 'utf8').digest('hex'));
    const manifest = JSON.parse(planned.manifest);
    expect(manifest).toMatchObject({
      packageId: 'TL-320583-42-1',
      kind: 'session',
      followsPackageId: null,
      createdAt: '2026-03-01T10:41:00+08:00',
      case: { bmsah: source.caseNumber, tysah: source.unifiedNumber, ajmc: source.caseName, ajlb_mc: source.category },
      suspect: { xm: '王某某', zjlx_dm: '111', zjlx_mc: '居民身份证', zjhm: source.idNumber },
      room: { name: '刑检-101讯问室' },
      operator: { name: '张明', gh: '0371', dlzh: 'zhangming' },
      session: { startedAt: '2026-03-01T09:30:00+08:00', endedAt: '2026-03-01T10:40:00+08:00' },
    });
    expect(manifest.files).toEqual([
      { path: 'video/1-王某某盗窃案_王某某.mp4', kind: 'video', size: 123, sha256: video.sha256, sm3: video.sm3 },
      { path: 'documents/2-笔录.pdf', kind: 'document', size: 45, sha256: document.sha256, sm3: document.sm3 },
    ]);
  });

  it('marks later packages as supplements', () => {
    const planned = buildPackage('320583', { ...source, roomName: null }, 2, 'TL-320583-42-1', [document], '2026-03-02T00:00:00.000Z');
    const manifest = JSON.parse(planned.manifest);
    expect(manifest.kind).toBe('supplement');
    expect(manifest.followsPackageId).toBe('TL-320583-42-1');
    expect(manifest.room).toBeNull();
  });

  it('finds receipt hash mismatches', () => {
    const ours = [{ path: 'video/1-a.mp4', sha256: 'a'.repeat(64) }];
    expect(findReceiptMismatch(ours, [{ path: 'video/1-a.mp4', sha256: 'A'.repeat(64) }])).toBeNull();
    expect(findReceiptMismatch(ours, [{ path: 'video/1-a.mp4', sha256: 'f'.repeat(64) }])).toMatch(/SHA-256 与本地不符/);
    const mismatch = findReceiptMismatch(ours, [{ path: 'video/1-a.mp4', sha256: 'a'.repeat(63) + 'b' }]);
    expect(mismatch).toContain(`回执 SHA-256：${'a'.repeat(63)}b`);
    expect(mismatch).toContain(`本地 SHA-256：${'a'.repeat(64)}`);
    expect(findReceiptMismatch(ours, [])).toMatch(/缺少文件/);
    expect(findReceiptMismatch(ours, [...ours, { path: 'x', sha256: 'e'.repeat(64) }])).toMatch(/列出 2 个文件/);
  });
});
