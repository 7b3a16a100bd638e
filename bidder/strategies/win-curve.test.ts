import { describe, expect, it } from 'vitest';
import { logLogisticCurve } from './win-curve.ts';

describe('logLogisticCurve', () => {
  it('wins half the time at the median and follows 1 / (1 + (m/b)^β)', () => {
    const c = logLogisticCurve(1_000_000, 2);
    expect(c.winProbability(1_000_000)).toBe(0.5);
    expect(c.winProbability(2_000_000)).toBeCloseTo(0.8, 14); // 1 / (1 + 1/4)
    expect(c.winProbability(500_000)).toBeCloseTo(0.2, 14);
    expect(c.winProbability(0)).toBe(0);
    expect(c.winProbability(-5)).toBe(0);
  });

  it('with β = 1 is ORTB’s w(b) = b / (c + b)', () => {
    const c = logLogisticCurve(300_000, 1);
    for (const b of [10_000, 300_000, 2_000_000])
      expect(c.winProbability(b)).toBeCloseTo(b / (300_000 + b), 14);
  });

  it('integrates the expected second-price payment within 0.1% of the closed form', () => {
    // β = 1: ∫₀ᵇ z dW = m (−ln(1 − w) − w), w = W(b).
    const m = 1_000_000;
    const c = logLogisticCurve(m, 1);
    for (const b of [50_000, 700_000, 1_000_000, 3_000_000, 40_000_000]) {
      const w = b / (m + b);
      const exact = m * (-Math.log(1 - w) - w);
      expect(Math.abs(c.expectedPaymentMicros(b) / exact - 1)).toBeLessThan(1e-3);
    }
    expect(c.expectedPaymentMicros(0)).toBe(0);
  });

  it('pays more, never more than the bid, as the bid grows', () => {
    const c = logLogisticCurve(1_000_000, 3);
    let last = 0;
    for (let b = 10_000; b < 1e9; b *= 1.3) {
      const p = c.expectedPaymentMicros(b);
      expect(p).toBeGreaterThanOrEqual(last);
      expect(p).toBeLessThanOrEqual(b * c.winProbability(b));
      last = p;
    }
  });

  it('rejects a non-positive median or shape', () => {
    expect(() => logLogisticCurve(0, 1)).toThrow(RangeError);
    expect(() => logLogisticCurve(1, Number.NaN)).toThrow(RangeError);
  });
});
