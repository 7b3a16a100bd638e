import { describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.ts';
import { largestRemainder } from './largest-remainder.ts';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('largestRemainder', () => {
  it('gives the leftover units to the largest remainders', () => {
    // 100 × [1/3, 1/3, 1/3] = 33.33 each: one unit left, lowest index wins the tie.
    expect(largestRemainder(100, [1 / 3, 1 / 3, 1 / 3])).toEqual([34, 33, 33]);
    // 10 × [0.46, 0.34, 0.2] = 4.6, 3.4, 2: floors 4+3+2 = 9, the 0.6 remainder gets the unit.
    expect(largestRemainder(10, [0.46, 0.34, 0.2])).toEqual([5, 3, 2]);
    expect(largestRemainder(7, [0.5, 0, 0.5])).toEqual([4, 0, 3]);
  });

  it('splits evenly when every share is zero, and handles empty and zero totals', () => {
    expect(largestRemainder(5, [0, 0])).toEqual([3, 2]);
    expect(largestRemainder(0, [0.2, 0.8])).toEqual([0, 0]);
    expect(largestRemainder(9, [])).toEqual([]);
  });

  it('never gives a unit to a zero share, and sums exactly over random inputs', () => {
    const rng = seededRng(7);
    for (let t = 0; t < 500; t++) {
      const n = 1 + Math.floor(rng.next() * 60);
      const shares = Array.from({ length: n }, () => (rng.next() < 0.2 ? 0 : rng.next()));
      const total = Math.floor(rng.next() * 5e12);
      const parts = largestRemainder(total, shares);
      expect(sum(parts)).toBe(total);
      shares.forEach((s, i) => {
        if (s === 0 && shares.some((x) => x > 0)) expect(parts[i]).toBe(0);
        expect(Number.isInteger(parts[i])).toBe(true);
      });
    }
  });

  it('rejects a fractional or negative total and negative shares', () => {
    expect(() => largestRemainder(1.5, [1])).toThrow(RangeError);
    expect(() => largestRemainder(-1, [1])).toThrow(RangeError);
    expect(() => largestRemainder(1, [-0.1, 1.1])).toThrow(RangeError);
  });
});
