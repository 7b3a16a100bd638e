import { describe, expect, it } from 'vitest';
import { digamma, trigamma } from './special.ts';

const EULER = 0.5772156649015329;

describe('digamma and trigamma', () => {
  it('match known values', () => {
    expect(digamma(1)).toBeCloseTo(-EULER, 11);
    expect(digamma(0.5)).toBeCloseTo(-EULER - 2 * Math.LN2, 11);
    expect(digamma(10)).toBeCloseTo(2.251752589066721, 11);
    expect(trigamma(1)).toBeCloseTo(Math.PI ** 2 / 6, 11);
    expect(trigamma(0.5)).toBeCloseTo(Math.PI ** 2 / 2, 11);
    expect(trigamma(10)).toBeCloseTo(0.10516633568168575, 11);
  });

  it('follow the recurrences ψ(x+1) = ψ(x) + 1/x and ψ′(x+1) = ψ′(x) − 1/x² at large x', () => {
    for (const x of [7.3, 42, 1e4]) {
      expect(digamma(x + 1) - digamma(x)).toBeCloseTo(1 / x, 11);
      expect(trigamma(x) - trigamma(x + 1)).toBeCloseTo(1 / (x * x), 11);
    }
  });
});
