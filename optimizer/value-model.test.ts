import { describe, expect, it } from 'vitest';
import { EMPTY_STATS } from './arm-stats.ts';
import { groupPosteriors, summarizePosterior } from './posterior.ts';
import { valuePriors } from './value-model.ts';

// Segments described by two one-hot attributes: [mobile, desktop]. Mobile converts at 2 units a
// conversion, desktop at 10; the pooled mean over the trained arms is 6.
const MOBILE = [1, 0];
const DESKTOP = [0, 1];
const arm = (valueUnits: number, conversions = 20) => ({
  impressions: 100_000,
  clicks: 1000,
  conversions,
  spendMicros: 100_000_000,
  valueMicros: conversions * valueUnits * 1_000_000,
});

describe('valuePriors', () => {
  const stats = [arm(2), arm(2), arm(2), arm(10), arm(10), arm(10), EMPTY_STATS, EMPTY_STATS, EMPTY_STATS];
  const features = [MOBILE, MOBILE, MOBILE, DESKTOP, DESKTOP, DESKTOP, DESKTOP, MOBILE, [0, 0]];

  it('starts a new segment near the segments it resembles, and an unlike one at the pooled mean', () => {
    const p = valuePriors(stats, features);
    const units = p.map((x) => (x === undefined ? undefined : x / 1e6));
    // Ridge shrinkage pulls toward the (geometric) pooled mean √(2·10) ≈ 4.47, so not all the way.
    expect(units[6]).toBeGreaterThan(7);
    expect(units[6]).toBeLessThan(10);
    expect(units[7]).toBeGreaterThan(2);
    expect(units[7]).toBeLessThan(3);
    expect(units[8]).toBeCloseTo(Math.sqrt(20), 1);
  });

  it('gives no priors without features or with too few trained arms', () => {
    expect(
      valuePriors(
        stats,
        stats.map(() => undefined),
      ),
    ).toEqual(stats.map(() => undefined));
    expect(valuePriors(stats.slice(0, 3), features.slice(0, 3))).toEqual([undefined, undefined, undefined]);
  });

  it('moves a data-less arm’s posterior mean value, and barely a well-measured one’s', () => {
    const goal = { kind: 'value', cvrBase: 'click' } as const;
    const priors = valuePriors(stats, features);
    const withModel = groupPosteriors(stats, goal, undefined, priors).map((p) => summarizePosterior(p, goal));
    const pooled = groupPosteriors(stats, goal).map((p) => summarizePosterior(p, goal));
    expect(pooled[6]!.valuePerConversionMicros!.mean).toBeCloseTo(6_000_000, -3);
    expect(withModel[6]!.valuePerConversionMicros!.mean).toBeGreaterThan(7_000_000);
    expect(
      Math.abs(withModel[3]!.valuePerConversionMicros!.mean - pooled[3]!.valuePerConversionMicros!.mean),
    ).toBeLessThan(0.1 * pooled[3]!.valuePerConversionMicros!.mean);
  });
});
