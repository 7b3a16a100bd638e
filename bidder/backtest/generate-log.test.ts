import { describe, expect, it } from 'vitest';
import { formatIpinyouLog, parseIpinyouLog } from './auction-log.ts';
import { DEFAULT_TRUTH, generateSyntheticLog } from './generate-log.ts';

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
};

describe('generateSyntheticLog', () => {
  const log = generateSyntheticLog({ auctions: 20_000, seed: 3 });

  it('is reproducible from its seed and round-trips through the file format', () => {
    expect(generateSyntheticLog({ auctions: 20_000, seed: 3 })).toEqual(log);
    expect(generateSyntheticLog({ auctions: 100, seed: 4 }).marketPrice).not.toEqual(
      log.marketPrice.slice(0, 100),
    );
    expect(parseIpinyouLog(formatIpinyouLog(log))).toEqual(log);
  });

  it('draws from its hidden truth: Beta pCTR, calibrated clicks, log-normal prices in [1, 300]', () => {
    const { ctrAlpha: a, ctrBeta: b, priceMedian, maxPrice } = DEFAULT_TRUTH;
    expect(mean(log.pctr) / (a / (a + b)) - 1).toBeCloseTo(0, 1); // within 5%
    expect(Math.abs(mean(log.click) / mean(log.pctr) - 1)).toBeLessThan(0.25); // ~100 clicks: σ ≈ 10%
    const sorted = [...log.marketPrice].sort((x, y) => x - y);
    expect(Math.abs(sorted[sorted.length >> 1]! / priceMedian - 1)).toBeLessThan(0.03);
    expect(sorted[0]).toBeGreaterThanOrEqual(1);
    expect(sorted[sorted.length - 1]).toBeLessThanOrEqual(maxPrice);
    expect(log.marketPrice.every(Number.isInteger)).toBe(true);
  });

  it('correlates price with pCTR when asked', () => {
    const corr = (l: ReturnType<typeof generateSyntheticLog>) => {
      const lp = Array.from(l.marketPrice, Math.log);
      const mp = mean(lp);
      const mq = mean(l.pctr);
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let i = 0; i < l.length; i++) {
        sxy += (lp[i]! - mp) * (l.pctr[i]! - mq);
        sxx += (lp[i]! - mp) ** 2;
        syy += (l.pctr[i]! - mq) ** 2;
      }
      return sxy / Math.sqrt(sxx * syy);
    };
    expect(Math.abs(corr(log))).toBeLessThan(0.03);
    expect(
      corr(generateSyntheticLog({ auctions: 20_000, seed: 3, truth: { correlation: 0.6 } })),
    ).toBeGreaterThan(0.5);
  });
});
