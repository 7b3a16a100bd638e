import { describe, expect, it } from 'vitest';
import { localDay } from './local-day.ts';
import { TargetCurve, UNIFORM_HOURS } from './target-curve.ts';

const HOUR = 3_600_000;

describe('TargetCurve', () => {
  it('is a straight line over an ordinary day when uniform', () => {
    const day = localDay('UTC', Date.UTC(2025, 0, 1));
    const curve = new TargetCurve(day, UNIFORM_HOURS);
    expect(curve.fractionAt(day.startMs)).toBe(0);
    expect(curve.fractionAt(day.startMs + 6 * HOUR)).toBeCloseTo(0.25, 12);
    expect(curve.fractionAt(day.startMs + 18 * HOUR + HOUR / 2)).toBeCloseTo(18.5 / 24, 12);
    expect(curve.fractionAt(day.endMs)).toBe(1);
    expect(curve.densityAt(day.startMs + 5 * HOUR) * 24 * HOUR).toBeCloseTo(1, 12);
  });

  it('shares the budget by hourly weight, and covers a 23-hour day whole', () => {
    const weights = UNIFORM_HOURS.map((_, h) => (h === 20 ? 3 : 1));
    const day = localDay('America/New_York', Date.UTC(2025, 2, 9, 12));
    const curve = new TargetCurve(day, weights);
    // 22 slots of weight 1 and hour 20 of weight 3 (local 02:00 does not exist that day).
    expect(curve.slotShares).toHaveLength(23);
    const h20 = day.slots.findIndex((s) => s.hour === 20);
    expect(curve.slotShares[h20]).toBeCloseTo(3 / 25, 12);
    expect(curve.slotShares[0]).toBeCloseTo(1 / 25, 12);
    expect(curve.fractionAt(day.slots[h20]!.endMs)).toBeCloseTo((h20 + 3) / 25, 12);
    expect(curve.fractionAt(day.endMs - 1)).toBeLessThan(1);
  });

  it('never gives an hour a zero share, so pacing never freezes: 1% of the mean weight at least', () => {
    const weights = UNIFORM_HOURS.map((_, h) => (h < 12 ? 0 : 2));
    const curve = new TargetCurve(localDay('UTC', Date.UTC(2025, 0, 1)), weights);
    expect(curve.slotShares[0]).toBeCloseTo(0.01 / (12 * 0.01 + 24), 12);
  });

  it('refuses a weight list that is not 24 long', () => {
    expect(() => new TargetCurve(localDay('UTC', 0), [1, 2, 3])).toThrow(RangeError);
  });
});
