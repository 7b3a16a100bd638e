import { describe, expect, it } from 'vitest';
import { applyGuardrails } from './guardrails.ts';

const opts = { explorationFloor: 0.02, maxChange: 0.1 };
const all = (n: number) => Array.from({ length: n }, () => true);

describe('applyGuardrails', () => {
  it('holds max-change exactly: 0.5/0.5 wanting 1/0 moves to 0.6/0.4', () => {
    const g = applyGuardrails([1, 0], all(2), [0.5, 0.5], opts);
    expect(g.shares[0]).toBeCloseTo(0.6, 14);
    expect(g.shares[1]).toBeCloseTo(0.4, 14);
    expect(g.capped).toBe(true);
    expect(g.relaxed).toBe(false);
  });

  it('leaves shares inside the limits untouched and not capped', () => {
    const g = applyGuardrails([0.55, 0.45], all(2), [0.5, 0.5], opts);
    expect(g.shares[0]).toBeCloseTo(0.55, 14);
    expect(g.capped).toBe(false);
  });

  it('lifts every eligible arm to the floor, taking it from the others evenly', () => {
    const g = applyGuardrails([1, 0, 0, 0], all(4), undefined, { explorationFloor: 0.05, maxChange: 0.1 });
    expect(g.shares.map((x) => Number(x.toFixed(12)))).toEqual([0.85, 0.05, 0.05, 0.05]);
  });

  it('lowers a floor that K arms cannot all get to 1/K', () => {
    const g = applyGuardrails([1, 0, 0], all(3), undefined, { explorationFloor: 0.5, maxChange: 1 });
    for (const x of g.shares) expect(x).toBeCloseTo(1 / 3, 12);
  });

  it('gives an ineligible arm 0 even when it had half the budget, loosening max-change and saying so', () => {
    const g = applyGuardrails([0.9, 0.6, 0.4], [false, true, true], [0.5, 0.3, 0.2], opts);
    expect(g.shares[0]).toBe(0);
    expect(g.shares[1]! + g.shares[2]!).toBeCloseTo(1, 14);
    expect(g.shares[1]).toBeCloseTo(0.6, 12);
    expect(g.relaxed).toBe(true);
  });

  it('lets a new arm grow by at most max-change from 0', () => {
    const g = applyGuardrails([0.1, 0.1, 0.8], all(3), [0.5, 0.5, undefined], opts);
    expect(g.shares[2]).toBeCloseTo(0.1, 14);
    expect(g.shares[0]).toBeCloseTo(0.45, 14);
    expect(g.capped).toBe(true);
  });

  it('splits evenly when the preferences are all zero, and sums to 1 over random inputs', () => {
    expect(applyGuardrails([0, 0, 0, 0], all(4), undefined, opts).shares).toEqual([0.25, 0.25, 0.25, 0.25]);
    let seed = 1;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let t = 0; t < 300; t++) {
      const n = 2 + Math.floor(next() * 40);
      const prevRaw = Array.from({ length: n }, next);
      const ps = prevRaw.reduce((a, b) => a + b, 0);
      const prev = prevRaw.map((x) => x / ps);
      const eligible = prev.map(() => next() > 0.1);
      if (!eligible.some(Boolean)) continue;
      const g = applyGuardrails(Array.from({ length: n }, next), eligible, prev, opts);
      expect(Math.abs(g.shares.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      g.shares.forEach((x, i) => {
        if (!eligible[i]) expect(x).toBe(0);
        else expect(x).toBeGreaterThanOrEqual(Math.min(opts.explorationFloor, 1 / n) - 1e-12);
        if (!g.relaxed && eligible[i])
          expect(Math.abs(x - prev[i]!)).toBeLessThanOrEqual(opts.maxChange + 1e-12);
      });
    }
  });

  it('throws when no arm is eligible', () => {
    expect(() => applyGuardrails([1], [false], undefined, opts)).toThrow(RangeError);
  });
});
