import type { Rng } from '../../core/index.ts';
import { clampBid } from './clamp-bid.ts';
import { MarketModel } from './market-model.ts';
import { maxClicksStrategy } from './max-clicks.ts';
import { shadeBid } from './shade-bid.ts';
import type { PriceContext, PricingStrategy, StrategyConfig } from './strategy.ts';

/** What a strategy is built with besides its configuration. */
export interface StrategyDeps {
  /** The line item's hard cap, CPM micros. */
  readonly maxCpmMicros: number;
  /** Seeded in tests and backtests; only the random baseline draws from it. */
  readonly rng: Rng;
  /** The line item's learned market; a fresh one when absent. */
  readonly market?: MarketModel;
  /** Shade value bids in first-price auctions (default true). */
  readonly shading?: boolean;
}

const validProbability = (p: number | undefined): p is number => p !== undefined && p >= 0 && p <= 1;

/**
 * Builds the strategy a configuration names. Values (CPM micros, i.e. expected value of one
 * impression × 1000):
 * - `fixed`: cpmMicros. `max`: max(targetCpmMicros, floor). `random`: uniform in [min, max].
 * - `targetCpc`: pCTR · cpcMicros · 1000. `targetCpa`: pCTR · pCVR · cpaMicros · 1000.
 * - `targetRoas`: pCTR · pCVR · valueMicros · 1000 ÷ (roasMicros / 1e6).
 * - `linear`: baseCpmMicros · pCTR / avgPctr (Perlich et al. 2012), avgPctr defaulting to the
 *   running mean of the opportunities seen.
 * - `maxClicks`: see `maxClicksStrategy`.
 * Value strategies bid the value in second price and `shadeBid` it in first price. Every answer
 * goes through `clampBid` (integer, ≤ max CPM, ≤ budget, ≥ floor or no bid).
 */
export function createStrategy(config: StrategyConfig, deps: StrategyDeps): PricingStrategy {
  const market = deps.market ?? new MarketModel();
  const shading = deps.shading ?? true;
  const max = deps.maxCpmMicros;
  const passive = { observe: (o: Parameters<PricingStrategy['observe']>[0]) => market.observe(o) };

  const valueStrategy = (
    name: string,
    valueFor: (ctx: PriceContext) => number | undefined,
  ): PricingStrategy => ({
    name,
    price(ctx) {
      const v = valueFor(ctx);
      if (v === undefined || !(v > 0) || !Number.isFinite(v)) return undefined;
      const bid = ctx.firstPrice && shading ? shadeBid(v, ctx.floorMicros, max, market.landscape.curve()) : v;
      return clampBid(bid, ctx, max);
    },
    ...passive,
  });

  switch (config.type) {
    case 'fixed':
      return { name: 'fixed', price: (ctx) => clampBid(config.cpmMicros, ctx, max), ...passive };
    case 'max':
      return {
        name: 'max',
        price: (ctx) => clampBid(Math.max(config.targetCpmMicros, ctx.floorMicros), ctx, max),
        ...passive,
      };
    case 'random': {
      const span = config.maxCpmMicros - config.minCpmMicros + 1;
      return {
        name: 'random',
        // Draw before any early return, so the RNG stream does not depend on floors or budgets.
        price: (ctx) => clampBid(config.minCpmMicros + Math.floor(deps.rng.next() * span), ctx, max),
        ...passive,
      };
    }
    case 'targetCpc':
      return valueStrategy('targetCpc', (ctx) =>
        validProbability(ctx.pctr) ? ctx.pctr * config.cpcMicros * 1000 : undefined,
      );
    case 'targetCpa':
      return valueStrategy('targetCpa', (ctx) =>
        validProbability(ctx.pctr) && validProbability(ctx.pcvr)
          ? ctx.pctr * ctx.pcvr * config.cpaMicros * 1000
          : undefined,
      );
    case 'targetRoas':
      return valueStrategy('targetRoas', (ctx) =>
        validProbability(ctx.pctr) && validProbability(ctx.pcvr) && ctx.valueMicros !== undefined
          ? (ctx.pctr * ctx.pcvr * ctx.valueMicros * 1000 * 1_000_000) / config.roasMicros
          : undefined,
      );
    case 'linear':
      return valueStrategy('linear', (ctx) => {
        if (!validProbability(ctx.pctr)) return undefined;
        market.pctr.add(ctx.pctr);
        const avg = config.avgPctr ?? market.pctr.mean();
        return avg !== undefined && avg > 0 ? (config.baseCpmMicros * ctx.pctr) / avg : undefined;
      });
    case 'maxClicks':
      return maxClicksStrategy({ maxCpmMicros: max, market, shading });
  }
}
