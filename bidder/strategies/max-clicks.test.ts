import { describe, expect, it } from 'vitest';
import { MarketModel } from './market-model.ts';
import { maxClicksStrategy } from './max-clicks.ts';
import { shadeBid } from './shade-bid.ts';
import type { PriceContext } from './strategy.ts';

const ctx = (over: Partial<PriceContext> = {}): PriceContext => ({
  floorMicros: 0,
  firstPrice: false,
  remainingBudgetMicros: 50_000,
  nowMs: 0,
  remainingAuctions: 100,
  ...over,
});

/** A market with a fitted log-logistic(1 CPM, β = 2) landscape. */
function learnedMarket(): MarketModel {
  const m = new MarketModel();
  for (let i = 1; i < 500; i++) {
    const u = ((i * 7919) % 500) / 500;
    m.observe({ kind: 'market', marketPriceMicros: 1_000_000 * Math.sqrt(u / (1 - u)) });
  }
  return m;
}

describe('maxClicksStrategy before a landscape is learned', () => {
  it('bids the pace per opportunity as CPM, scaled by pCTR / mean pCTR', () => {
    const s = maxClicksStrategy({ maxCpmMicros: 10_000_000, market: new MarketModel() });
    // 50 000 micros over 100 auctions = 500 micros each = 0.5 CPM.
    expect(s.price(ctx({ pctr: 0.01 }))).toBe(500_000);
    expect(s.price(ctx({ pctr: 0.03 }))).toBe(750_000); // mean pCTR is now 0.02
  });

  it('forecasts the remaining opportunities from the request rate when only time is known', () => {
    const s = maxClicksStrategy({ maxCpmMicros: 10_000_000, market: new MarketModel() });
    const timed = (nowMs: number) =>
      ctx({
        pctr: 0.01,
        nowMs,
        remainingAuctions: undefined,
        remainingMs: 10_000,
        remainingBudgetMicros: 10_000,
      });
    expect(s.price(timed(0))).toBeUndefined(); // one request: no rate yet
    expect(s.price(timed(1_000))).toBe(1_000_000); // 1 per s × 10 s → 10 left → 1 000 micros each
    expect(s.price(ctx({ pctr: 0.01, remainingAuctions: undefined }))).toBeUndefined();
  });
});

describe('maxClicksStrategy with a learned landscape', () => {
  const warm = () => {
    const market = learnedMarket();
    for (let i = 0; i < 5; i++) market.pctr.add(0.01);
    return { s: maxClicksStrategy({ maxCpmMicros: 10_000_000, market }), curve: market.landscape.curve()! };
  };

  it('bids where the expected second-price spend per opportunity equals the pace', () => {
    for (const budget of [20_000, 50_000, 100_000]) {
      const { s, curve } = warm();
      const bid = s.price(ctx({ pctr: 0.01, remainingBudgetMicros: budget }))!;
      expect(Math.abs(curve.expectedPaymentMicros(bid) / 1000 / (budget / 100) - 1)).toBeLessThan(0.01);
    }
  });

  it('scales its forecast by what its wins actually cost', () => {
    const { s } = warm();
    const first = s.price(ctx({ pctr: 0.01 }))!;
    // Every bid wins and pays the full bid: more than the forecast ∫ z dW, so it must bid lower.
    let bid = first;
    for (let i = 0; i < 200; i++) {
      s.observe({ kind: 'win', bidMicros: bid, marketPriceMicros: bid });
      bid = s.price(ctx({ pctr: 0.01 }))!;
    }
    expect(bid).toBeLessThan(first * 0.9);
    // Bids that never win cost nothing: the forecast was too high, so it bids higher.
    const { s: loser } = warm();
    const start = loser.price(ctx({ pctr: 0.01 }))!;
    let last = start;
    for (let i = 0; i < 200; i++) last = loser.price(ctx({ pctr: 0.01 }))!;
    expect(last).toBeGreaterThan(start * 1.1);
  });

  it('bids more when ahead of the budget and less when behind', () => {
    const bidFor = (remainingBudgetMicros: number, remainingAuctions = 100) =>
      warm().s.price(ctx({ pctr: 0.01, remainingBudgetMicros, remainingAuctions }))!;
    const bids = [10_000, 30_000, 60_000, 120_000].map((b) => bidFor(b));
    expect(bids).toEqual([...bids].sort((a, b) => a - b));
    expect(new Set(bids).size).toBe(4);
    expect(bidFor(30_000, 50)).toBeGreaterThan(bids[1]!);
  });

  it('bids the max CPM when even that cannot spend the budget', () => {
    const { s } = warm();
    expect(s.price(ctx({ pctr: 0.01, remainingBudgetMicros: 1_000_000_000 }))).toBe(10_000_000);
    expect(s.price(ctx({ pctr: 0, remainingBudgetMicros: 1_000_000_000 }))).toBeUndefined();
  });

  it('in first price shades its value so that bid × W(bid) spends the pace', () => {
    const { s, curve } = warm();
    const bid = s.price(ctx({ pctr: 0.01, firstPrice: true }))!;
    expect(Math.abs((bid * curve.winProbability(bid)) / 1000 / 500 - 1)).toBeLessThan(0.01);
    // It is the shaded value: the value that shades to this bid is above it.
    const value = bid * 1.5;
    expect(Math.floor(shadeBid(value, 0, 10_000_000, curve))).toBeLessThan(value);
  });
});
