import { describe, expect, it } from 'vitest';
import { Landscape } from './landscape.ts';

/** Market prices at the quantiles i/n of a log-logistic(m, β): an exactly known landscape. */
function quantiles(m: number, beta: number, n: number): number[] {
  return Array.from({ length: n - 1 }, (_, i) => {
    const u = (i + 1) / n;
    return m * (u / (1 - u)) ** (1 / beta);
  });
}

/** A deterministic shuffle (stride through the list) so prices arrive in no particular order. */
function interleave<T>(xs: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < xs.length; i++) out.push(xs[(i * 7919) % xs.length]!);
  return out;
}

describe('Landscape: Kaplan–Meier with censored losses', () => {
  // One bin per decade from 1: [1,10) [10,100) [100,1000) [1000,10000).
  const decades = () => new Landscape({ minPriceMicros: 1, maxPriceMicros: 10_000, binsPerDecade: 1 });

  it('computes the product-limit survival bin by bin', () => {
    const l = decades();
    l.observe({ kind: 'win', bidMicros: 8, marketPriceMicros: 5 });
    l.observe({ kind: 'loss', bidMicros: 50 });
    l.observe({ kind: 'win', bidMicros: 60, marketPriceMicros: 50 });
    l.observe({ kind: 'market', marketPriceMicros: 500 });
    l.observe({ kind: 'loss', bidMicros: 500 });
    l.observe({ kind: 'loss', bidMicros: 5000, marketPriceMicros: 5000 }); // revealed min-to-win
    const km = l.kaplanMeier();
    expect(km.map((b) => [b.atRisk, b.events, b.censored])).toEqual([
      [6, 1, 0],
      [5, 1, 1],
      [3, 1, 1],
      [1, 1, 0],
    ]);
    expect(km.map((b) => b.survival)).toEqual([
      1 - 1 / 6,
      (1 - 1 / 6) * (1 - 1 / 5),
      (1 - 1 / 6) * (1 - 1 / 5) * (1 - 1 / 3),
      0,
    ]);
    expect(km.map((b) => Math.round(b.upperMicros))).toEqual([10, 100, 1000, 10_000]);
    // W(b) = 1 − S at the bid's bin: 4/9 survive bin 2, so a bid of 700 wins 5/9 of the time.
    expect(l.kmWinProbability(700)).toBe(1 - (1 - 1 / 6) * (1 - 1 / 5) * (1 - 1 / 3));
    expect(l.observedPrices).toBe(4);
  });

  it('keeps the mass that losses put above the bid, which won prices alone drop', () => {
    // Half of all auctions clear at 5, half at 500; we bid 50 on each, so we lose the 500s.
    const l = decades();
    for (let i = 0; i < 10; i++) {
      l.observe({ kind: 'win', bidMicros: 50, marketPriceMicros: 5 });
      l.observe({ kind: 'loss', bidMicros: 50 });
    }
    // Every won price is 5, so the won-price distribution says W(700) = 1; the losses say half of
    // the prices are above 50, and KM keeps that half: W(700) = 1/2.
    expect(l.kmWinProbability(5)).toBe(0.5);
    expect(l.kmWinProbability(700)).toBe(0.5);
  });

  it('books a first-price win without a revealed price at the bid, and ignores garbage', () => {
    const l = decades();
    l.observe({ kind: 'win', bidMicros: 50 });
    l.observe({ kind: 'win', bidMicros: Number.NaN });
    l.observe({ kind: 'loss', bidMicros: -3 });
    l.observe({ kind: 'market', marketPriceMicros: Number.POSITIVE_INFINITY });
    expect(l.kaplanMeier().map((b) => b.events)).toEqual([0, 1, 0, 0]);
    expect(l.kaplanMeier().map((b) => b.censored)).toEqual([0, 0, 0, 0]);
  });
});

describe('Landscape: log-logistic fit (ml-regression)', () => {
  it('recovers the median and shape of fully observed log-logistic prices', () => {
    const l = new Landscape();
    for (const z of interleave(quantiles(1_200_000, 2.5, 2000)))
      l.observe({ kind: 'market', marketPriceMicros: z });
    const c = l.curve()!;
    expect(Math.abs(c.medianMicros / 1_200_000 - 1)).toBeLessThan(0.03);
    expect(Math.abs(c.shape / 2.5 - 1)).toBeLessThan(0.05);
  });

  it('recovers them from censored outcomes, where the won prices alone are biased low', () => {
    const truth = interleave(quantiles(1_200_000, 2.5, 4000));
    const l = new Landscape();
    const won: number[] = [];
    truth.forEach((z, i) => {
      const bid = 600_000 + (i % 10) * 150_000; // 0.6 … 1.95 CPM
      if (bid >= z) {
        won.push(z);
        l.observe({ kind: 'win', bidMicros: bid, marketPriceMicros: z });
      } else l.observe({ kind: 'loss', bidMicros: bid });
    });
    const c = l.curve()!;
    expect(Math.abs(c.medianMicros / 1_200_000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(c.shape / 2.5 - 1)).toBeLessThan(0.1);
    won.sort((a, b) => a - b);
    expect(won[won.length >> 1]! / 1_200_000).toBeLessThan(0.8);
  });

  it('waits for minEvents, then refits at most once per refitEvery observations', () => {
    const l = new Landscape({ refitEvery: 100, minEvents: 50 });
    const prices = interleave(quantiles(1_000_000, 2, 400));
    for (let i = 0; i < 49; i++) l.observe({ kind: 'market', marketPriceMicros: prices[i]! });
    expect(l.curve()).toBeUndefined();
    l.observe({ kind: 'market', marketPriceMicros: prices[49]! });
    const first = l.curve();
    expect(first).toBeDefined();
    expect(l.version).toBe(1);
    for (let i = 50; i < 149; i++) l.observe({ kind: 'market', marketPriceMicros: prices[i]! });
    expect(l.curve()).toBe(first);
    l.observe({ kind: 'market', marketPriceMicros: prices[149]! });
    expect(l.curve()).not.toBe(first);
    expect(l.version).toBe(2);
  });

  it('is deterministic: the same outcomes give the same curve, bit for bit', () => {
    const feed = (l: Landscape) => {
      quantiles(900_000, 3, 300).forEach((z, i) => {
        const bid = 500_000 + (i % 7) * 200_000;
        l.observe(
          bid >= z ? { kind: 'win', bidMicros: bid, marketPriceMicros: z } : { kind: 'loss', bidMicros: bid },
        );
      });
      return l.curve()!;
    };
    const a = feed(new Landscape());
    const b = feed(new Landscape());
    expect([a.medianMicros, a.shape]).toEqual([b.medianMicros, b.shape]);
  });

  it('keeps no curve when every observation is a loss', () => {
    const l = new Landscape({ minEvents: 0 });
    for (let i = 0; i < 100; i++) l.observe({ kind: 'loss', bidMicros: 1_000_000 });
    expect(l.curve()).toBeUndefined();
  });
});
