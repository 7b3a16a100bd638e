import { describe, expect, it } from 'vitest';
import { shadeBid } from './shade-bid.ts';
import { logLogisticCurve } from './win-curve.ts';

const surplus = (v: number, b: number, w: (b: number) => number) => (v - b) * w(b);

describe('shadeBid', () => {
  it('matches ORTB’s closed form b = √(m² + v m) − m when β = 1', () => {
    const m = 1_000_000;
    const c = logLogisticCurve(m, 1);
    // v = 2m: b = m (√3 − 1) = 732 050.8…
    expect(Math.floor(shadeBid(2_000_000, 0, 10_000_000, c))).toBe(732_050);
    // v = 8m: b = m (√9 − 1) = 2m, reached from below by bisection.
    expect(shadeBid(8_000_000, 0, 10_000_000, c)).toBeCloseTo(2_000_000, 3);
  });

  it('solves the cubic x³ + 3x − 2v/m = 0 (x = b/m) when β = 2', () => {
    const m = 1_000_000;
    const u = 3; // v = 3m
    const r = Math.sqrt(1 + u * u);
    const x = Math.cbrt(u + r) + Math.cbrt(u - r); // Cardano: 1.287 909 …
    expect(Math.floor(x * m)).toBe(1_287_909);
    expect(Math.floor(shadeBid(u * m, 0, 10_000_000, logLogisticCurve(m, 2)))).toBe(1_287_909);
  });

  it('maximises (v − b) · W(b): better than bidding the value or 1% either side', () => {
    const c = logLogisticCurve(1_500_000, 2.5);
    const v = 4_000_000;
    const b = shadeBid(v, 0, 10_000_000, c);
    const w = c.winProbability;
    expect(surplus(v, b, w)).toBeGreaterThan(surplus(v, b * 1.01, w));
    expect(surplus(v, b, w)).toBeGreaterThan(surplus(v, b * 0.99, w));
    expect(surplus(v, b, w)).toBeGreaterThan(surplus(v, v, w));
  });

  it('clamps to the floor from below and to the value and cap from above', () => {
    const c = logLogisticCurve(1_000_000, 1);
    expect(shadeBid(2_000_000, 900_000, 10_000_000, c)).toBe(900_000);
    expect(shadeBid(2_000_000, 0, 500_000, c)).toBe(500_000);
    // A floor above the value stays above it: the caller's clamp turns that into a no-bid.
    expect(shadeBid(2_000_000, 2_500_000, 10_000_000, c)).toBe(2_000_000);
  });

  it('bids the value (capped) before any landscape is learned', () => {
    expect(shadeBid(2_000_000, 0, 10_000_000, undefined)).toBe(2_000_000);
    expect(shadeBid(2_000_000, 0, 1_000_000, undefined)).toBe(1_000_000);
  });
});
