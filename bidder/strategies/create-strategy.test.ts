import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.ts';
import { createStrategy } from './create-strategy.ts';
import { MarketModel } from './market-model.ts';
import { shadeBid } from './shade-bid.ts';
import type { PriceContext, StrategyConfig } from './strategy.ts';

const ctx = (over: Partial<PriceContext> = {}): PriceContext => ({
  floorMicros: 0,
  firstPrice: false,
  remainingBudgetMicros: 1_000_000_000,
  nowMs: 0,
  ...over,
});

const make = (config: StrategyConfig, maxCpmMicros = 100_000_000_000, market?: MarketModel) =>
  createStrategy(config, { maxCpmMicros, rng: seededRng(7), ...(market ? { market } : {}) });

/** A market whose landscape has been fitted from fully observed prices around `medianMicros`. */
function learnedMarket(medianMicros: number): MarketModel {
  const m = new MarketModel();
  for (let i = 1; i < 500; i++) {
    const u = ((i * 7919) % 500) / 500 || 0.5;
    m.observe({ kind: 'market', marketPriceMicros: medianMicros * Math.sqrt(u / (1 - u)) });
  }
  return m;
}

describe('fixed', () => {
  const s = make({ type: 'fixed', cpmMicros: 2_000_000 }, 5_000_000);
  it('bids its CPM when the floor allows, no bid otherwise', () => {
    expect(s.price(ctx({ floorMicros: 1_000_000 }))).toBe(2_000_000);
    expect(s.price(ctx({ floorMicros: 2_000_000 }))).toBe(2_000_000);
    expect(s.price(ctx({ floorMicros: 2_000_001 }))).toBeUndefined();
  });
  it('never costs more than the remaining budget: CPM ≤ 1000 × budget', () => {
    expect(s.price(ctx({ remainingBudgetMicros: 1_500 }))).toBe(1_500_000);
    expect(s.price(ctx({ remainingBudgetMicros: 1_500, floorMicros: 1_600_000 }))).toBeUndefined();
    expect(s.price(ctx({ remainingBudgetMicros: 0 }))).toBeUndefined();
  });
});

describe('max', () => {
  const s = make({ type: 'max', targetCpmMicros: 1_500_000 }, 3_000_000);
  it('bids the target, raised to the floor up to the max CPM', () => {
    expect(s.price(ctx())).toBe(1_500_000);
    expect(s.price(ctx({ floorMicros: 2_000_000 }))).toBe(2_000_000);
    expect(s.price(ctx({ floorMicros: 3_000_000 }))).toBe(3_000_000);
    expect(s.price(ctx({ floorMicros: 3_000_001 }))).toBeUndefined();
  });
});

describe('random', () => {
  it('draws uniform integers in [min, max] from the seeded RNG', () => {
    const s = make({ type: 'random', minCpmMicros: 1_000_000, maxCpmMicros: 1_000_009 });
    const rng = seededRng(7);
    const expected = Array.from({ length: 6 }, () => 1_000_000 + Math.floor(rng.next() * 10));
    expect(Array.from({ length: 6 }, () => s.price(ctx()))).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(1);
  });
});

describe('targetCpc', () => {
  const s = make({ type: 'targetCpc', cpcMicros: 400_000 });
  it('bids pCTR × CPC per mille in second price', () => {
    expect(s.price(ctx({ pctr: 1 / 256 }))).toBe(1_562_500); // 0.0039 × 0.40 × 1000 = 1.5625 CPM
    expect(s.price(ctx({ pctr: 1 / 256, floorMicros: 1_562_501 }))).toBeUndefined();
  });
  it('does not bid without a usable pCTR', () => {
    expect(s.price(ctx())).toBeUndefined();
    expect(s.price(ctx({ pctr: 0 }))).toBeUndefined();
    expect(s.price(ctx({ pctr: Number.NaN }))).toBeUndefined();
    expect(s.price(ctx({ pctr: 1.5 }))).toBeUndefined();
  });
  it('caps at the max CPM', () => {
    expect(make({ type: 'targetCpc', cpcMicros: 400_000 }, 1_000_000).price(ctx({ pctr: 1 / 256 }))).toBe(
      1_000_000,
    );
  });
});

describe('targetCpa', () => {
  it('bids pCTR × pCVR × CPA per mille', () => {
    const s = make({ type: 'targetCpa', cpaMicros: 8_000_000 });
    expect(s.price(ctx({ pctr: 1 / 16, pcvr: 1 / 8 }))).toBe(62_500_000);
    expect(s.price(ctx({ pctr: 1 / 16 }))).toBeUndefined();
  });
});

describe('targetRoas', () => {
  it('bids expected revenue ÷ target ROAS, per mille', () => {
    // 1/16 × 1/4 × 40.00 = 0.625 revenue per impression → 625 per mille → ÷ 4 (400% ROAS).
    const s = make({ type: 'targetRoas', roasMicros: 4_000_000 });
    expect(s.price(ctx({ pctr: 1 / 16, pcvr: 1 / 4, valueMicros: 40_000_000 }))).toBe(156_250_000);
    expect(s.price(ctx({ pctr: 1 / 16, pcvr: 1 / 4 }))).toBeUndefined();
  });
});

describe('linear', () => {
  it('bids base × pCTR / avgPctr', () => {
    const s = make({ type: 'linear', baseCpmMicros: 2_000_000, avgPctr: 0.25 });
    expect(s.price(ctx({ pctr: 0.375 }))).toBe(3_000_000);
    expect(s.price(ctx({ pctr: 0.125 }))).toBe(1_000_000);
  });
  it('uses the running mean pCTR of its opportunities when avgPctr is absent', () => {
    const s = make({ type: 'linear', baseCpmMicros: 2_000_000 });
    expect(s.price(ctx({ pctr: 0.25 }))).toBe(2_000_000); // mean 0.25
    expect(s.price(ctx({ pctr: 0.75 }))).toBe(3_000_000); // mean 0.5
  });
});

describe('first-price shading', () => {
  it('shades value strategies with the learned landscape, and bids the value when told not to', () => {
    const market = learnedMarket(1_000_000);
    const curve = market.landscape.curve()!;
    const shaded = make({ type: 'targetCpc', cpcMicros: 400_000 }, 100_000_000, market);
    const v = 1_562_500;
    const expected = Math.floor(shadeBid(v, 0, 100_000_000, curve));
    expect(expected).toBeLessThan(v);
    expect(shaded.price(ctx({ pctr: 1 / 256, firstPrice: true }))).toBe(expected);
    expect(shaded.price(ctx({ pctr: 1 / 256, firstPrice: false }))).toBe(v);
    const truthful = createStrategy(
      { type: 'targetCpc', cpcMicros: 400_000 },
      { maxCpmMicros: 100_000_000, rng: seededRng(1), market, shading: false },
    );
    expect(truthful.price(ctx({ pctr: 1 / 256, firstPrice: true }))).toBe(v);
  });

  it('lifts a shaded bid to the floor when the floor is under the value', () => {
    const market = learnedMarket(1_000_000);
    const s = make({ type: 'targetCpc', cpcMicros: 400_000 }, 100_000_000, market);
    expect(s.price(ctx({ pctr: 1 / 256, firstPrice: true, floorMicros: 1_500_000 }))).toBe(1_500_000);
    expect(s.price(ctx({ pctr: 1 / 256, firstPrice: true, floorMicros: 1_600_000 }))).toBeUndefined();
  });

  it('never shades fixed prices', () => {
    const s = make({ type: 'fixed', cpmMicros: 2_000_000 }, 5_000_000, learnedMarket(1_000_000));
    expect(s.price(ctx({ firstPrice: true }))).toBe(2_000_000);
  });
});
