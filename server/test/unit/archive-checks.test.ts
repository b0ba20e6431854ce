import { describe, expect, it } from 'vitest';
import { checkDuration, findHoles, toNvrRange } from '../../src/modules/archive/archive-checks.js';

describe('toNvrRange', () => {
  it('shifts by the clock offset and widens to whole seconds', () => {
    const range = toNvrRange('2026-12-04T12:00:00.700Z', '2026-12-04T12:00:10.200Z', 2_500);
    expect(range.from.toISOString()).toBe('2026-12-04T12:00:03.000Z');
    expect(range.to.toISOString()).toBe('2026-12-04T12:00:13.000Z');
  });

  it('never returns an empty range', () => {
    const range = toNvrRange('2026-12-04T12:00:00.000Z', '2026-12-04T12:00:00.000Z', 0);
    expect(range.to.getTime() - range.from.getTime()).toBe(1000);
  });
});

describe('checkDuration', () => {
  it('accepts a clip within one keyframe interval', () => {
    expect(checkDuration({ requestedSeconds: 60, actualSeconds: 58.6, maxKeyframeIntervalSeconds: 2, gapSeconds: 0 })).toBeNull();
  });

  it('rejects a clip that is too short', () => {
    expect(checkDuration({ requestedSeconds: 60, actualSeconds: 40, maxKeyframeIntervalSeconds: 1, gapSeconds: 0 })).toContain('时长不足');
  });

  it('accepts a short clip explained by recorded gaps', () => {
    expect(checkDuration({ requestedSeconds: 60, actualSeconds: 40, maxKeyframeIntervalSeconds: 1, gapSeconds: 20 })).toBeNull();
  });

  it('accepts the padding allowed for the first keyframe', () => {
    expect(checkDuration({ requestedSeconds: 60, actualSeconds: 63, maxKeyframeIntervalSeconds: 1, gapSeconds: 0, paddingSeconds: 4 })).toBeNull();
  });

  it('rejects a clip longer than requested', () => {
    expect(checkDuration({ requestedSeconds: 60, actualSeconds: 75, maxKeyframeIntervalSeconds: 1, gapSeconds: 0 })).toContain('超出');
  });
});

describe('findHoles', () => {
  const at = (second: number) => new Date(Date.UTC(2026, 11, 4, 12, 0, second));

  it('finds a hole in the middle and at the end', () => {
    const holes = findHoles(at(0), at(50), [
      { from: at(0), to: at(10) },
      { from: at(20), to: at(40) },
    ], 2);
    expect(holes).toEqual([
      { from: at(10), to: at(20) },
      { from: at(40), to: at(50) },
    ]);
  });

  it('ignores holes shorter than the minimum and overlapping files', () => {
    const holes = findHoles(at(0), at(30), [
      { from: at(0), to: at(15) },
      { from: at(10), to: at(20) },
      { from: at(21), to: at(30) },
    ], 2);
    expect(holes).toEqual([]);
  });
});
