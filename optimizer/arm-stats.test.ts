import { describe, expect, it } from 'vitest';
import { type ArmStats, decayStats } from './arm-stats.ts';

const HOUR = 3_600_000;
const row = (armId: string, endMs: number, n: number): ArmStats => ({
  armId,
  periodStartMs: endMs - HOUR,
  periodEndMs: endMs,
  impressions: n,
  clicks: n / 10,
  conversions: n / 100,
  spendMicros: n * 1000,
  valueMicros: n * 500,
});

describe('decayStats', () => {
  it('weighs a period one half-life old by exactly 1/2 and two half-lives by 1/4', () => {
    const now = 10 * HOUR;
    const d = decayStats(
      [row('a', now, 1000), row('a', now - HOUR, 1000), row('a', now - 2 * HOUR, 1000)],
      now,
      HOUR,
    );
    const a = d.get('a')!;
    expect(a.impressions).toBeCloseTo(1000 + 500 + 250, 9);
    expect(a.clicks).toBeCloseTo(175, 9);
    expect(a.conversions).toBeCloseTo(17.5, 9);
    expect(a.spendMicros).toBeCloseTo(1_750_000, 6);
    expect(a.valueMicros).toBeCloseTo(875_000, 6);
  });

  it('keeps arms apart and counts future periods at weight 1, never more', () => {
    const now = 5 * HOUR;
    const d = decayStats([row('a', now + HOUR, 100), row('b', now, 40)], now, HOUR);
    expect(d.get('a')!.impressions).toBe(100);
    expect(d.get('b')!.impressions).toBe(40);
    expect(d.size).toBe(2);
  });

  it('does not decay with an infinite half-life, and rejects a non-positive one', () => {
    const d = decayStats([row('a', 0, 100), row('a', HOUR, 100)], 1000 * HOUR, Number.POSITIVE_INFINITY);
    expect(d.get('a')!.impressions).toBe(200);
    expect(() => decayStats([], 0, 0)).toThrow(RangeError);
  });

  it('lets the recent regime dominate after a change: the arm that got better overtakes', () => {
    // 'a' was good for 20 h then collapsed; 'b' the reverse, for the last 4 h only.
    const hist: ArmStats[] = [];
    const now = 24 * HOUR;
    for (let h = 1; h <= 24; h++) {
      const recent = h > 20;
      hist.push({ ...row('a', h * HOUR, 1000), clicks: recent ? 5 : 50 });
      hist.push({ ...row('b', h * HOUR, 1000), clicks: recent ? 50 : 5 });
    }
    const ctr = (s: { clicks: number; impressions: number }) => s.clicks / s.impressions;
    const decayed = decayStats(hist, now, 2 * HOUR);
    expect(ctr(decayed.get('b')!)).toBeGreaterThan(ctr(decayed.get('a')!));
    const flat = decayStats(hist, now, Number.POSITIVE_INFINITY);
    expect(ctr(flat.get('b')!)).toBeLessThan(ctr(flat.get('a')!));
  });
});
