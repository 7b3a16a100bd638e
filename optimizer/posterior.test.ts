import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.ts';
import { EMPTY_STATS } from './arm-stats.ts';
import { groupPosteriors, meanUnitsPerImpression, summarizePosterior } from './posterior.ts';
import { posteriorSampler } from './sampler.ts';

const stats = (impressions: number, clicks: number, conversions = 0, valueMicros = 0) => ({
  impressions,
  clicks,
  conversions,
  spendMicros: impressions * 2000,
  valueMicros,
});

describe('groupPosteriors', () => {
  it('centres an arm without data on the group’s pooled rate, with 2 pseudo-clicks of weight', () => {
    const [a, fresh] = groupPosteriors([stats(10_000, 100), EMPTY_STATS], {
      kind: 'clicks',
      cvrBase: 'click',
    });
    // Pooled CTR (100 + 0.5) / (10,000 + 1); the prior is Beta(2, 2·(1 − m)/m).
    const m = 100.5 / 10_001;
    expect(fresh!.ctr.alpha).toBe(2);
    expect(fresh!.ctr.beta).toBeCloseTo((2 * (1 - m)) / m, 9);
    expect(fresh!.costPerImpressionMicros).toBe(2000);
    expect(a!.ctr.alpha).toBe(102);
    expect(a!.ctr.beta).toBeCloseTo(fresh!.ctr.beta + 9900, 9);
  });

  it('models conversions per click or per impression, and value per conversion for a value goal', () => {
    const s = [stats(10_000, 100, 10, 50_000_000)];
    const perClick = groupPosteriors(s, { kind: 'conversions', cvrBase: 'click' })[0]!;
    const perImp = groupPosteriors(s, { kind: 'conversions', cvrBase: 'impression' })[0]!;
    expect(perClick.cvr!.alpha + perClick.cvr!.beta).toBeCloseTo(
      2 + (2 * (1 - 10.5 / 101)) / (10.5 / 101) + 100,
      9,
    );
    expect(meanUnitsPerImpression(perClick, { kind: 'conversions', cvrBase: 'click' })).toBeCloseTo(0.001, 4);
    expect(meanUnitsPerImpression(perImp, { kind: 'conversions', cvrBase: 'impression' })).toBeCloseTo(
      0.001,
      4,
    );
    const value = groupPosteriors(s, { kind: 'value', cvrBase: 'click' })[0]!;
    // The pooled mean (5,000,000 a conversion) as prior and the data agree: posterior mean 5,000,000.
    const sum = summarizePosterior(value, { kind: 'value', cvrBase: 'click' });
    expect(sum.valuePerConversionMicros!.mean).toBeCloseTo(5_000_000, 3);
    expect(sum.valuePerConversionMicros!.lo).toBeLessThan(5_000_000);
    expect(sum.valuePerConversionMicros!.hi).toBeGreaterThan(5_000_000);
    expect(sum.unitsPerImpression).toBeCloseTo(0.001 * 5_000_000, -2);
  });

  it('narrows the 95 % interval as data grows, and it covers the mean', () => {
    const goal = { kind: 'clicks', cvrBase: 'click' } as const;
    const [small, large] = groupPosteriors([stats(1000, 10), stats(100_000, 1000)], goal).map((p) =>
      summarizePosterior(p, goal),
    );
    expect(small!.ctr.hi - small!.ctr.lo).toBeGreaterThan(5 * (large!.ctr.hi - large!.ctr.lo));
    expect(large!.ctr.lo).toBeLessThan(0.01);
    expect(large!.ctr.hi).toBeGreaterThan(0.01);
  });
});

describe('posteriorSampler', () => {
  it('replays exactly for a seed', () => {
    const draw = (seed: number) => {
      const s = posteriorSampler(seededRng(seed));
      return [s.beta(2, 50), s.beta(200, 5000), s.gamma(3, 2), s.gamma(300, 2)];
    };
    expect(draw(9)).toEqual(draw(9));
    expect(draw(9)).not.toEqual(draw(10));
  });

  it('matches the exact distribution’s mean and spread on the normal path', () => {
    for (const [normalAbove, cubeAbove] of [
      [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
      [30, 1],
    ] as const) {
      const s = posteriorSampler(seededRng(3), { normalAbove, cubeAbove });
      const xs = Array.from({ length: 20_000 }, () => s.beta(60, 940));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      // Beta(60, 940): mean 0.06, sd √(0.06 · 0.94 / 1001) = 0.007506.
      expect(mean).toBeCloseTo(0.06, 3);
      expect(sd).toBeCloseTo(0.0075, 3);
      const g = Array.from({ length: 20_000 }, () => s.gamma(50, 5));
      expect(g.reduce((a, b) => a + b, 0) / g.length).toBeCloseTo(10, 1);
    }
  });

  it('keeps the Wilson–Hilferty Gamma within 1 % of the exact mean and variance from shape 1', () => {
    for (const shape of [1, 2, 5, 29]) {
      const s = posteriorSampler(seededRng(11), { normalAbove: 30, cubeAbove: 1 });
      const n = 200_000;
      let m = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const x = s.gamma(shape, 1);
        m += x;
        m2 += x * x;
      }
      m /= n;
      const v = m2 / n - m * m;
      // Gamma(k, 1): mean k, variance k. 200,000 draws: Monte Carlo error of the mean ≈ 0.2 %·√(1/k).
      expect(Math.abs(m / shape - 1), `mean, k=${shape}`).toBeLessThan(0.01);
      expect(Math.abs(v / shape - 1), `variance, k=${shape}`).toBeLessThan(0.02);
    }
  });
});
