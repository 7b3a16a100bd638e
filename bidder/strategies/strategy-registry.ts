import type { Rng } from '../../core/index.ts';
import { createStrategy } from './create-strategy.ts';
import type { LandscapeOptions } from './landscape.ts';
import { MarketModel } from './market-model.ts';
import type { AuctionOutcome, PricingStrategy, StrategyConfig } from './strategy.ts';

/** The part of a line item a strategy is built from (a core `LineItem` fits). */
export interface StrategyLineItem {
  readonly id: string;
  readonly bidStrategy: StrategyConfig;
  readonly maxCpmMicros: number;
}

interface Entry {
  readonly key: string;
  readonly strategy: PricingStrategy;
  readonly market: MarketModel;
}

/**
 * One strategy per line item, for the bid path: `strategyFor(li).price(ctx)` then, from the
 * notice handlers, `observe(li.id, outcome)`. Campaign snapshots are swapped wholesale, so entries
 * are keyed by id and rebuilt only when the strategy or the cap changed — and a rebuild keeps the
 * line item's MarketModel: what it learned about its market does not depend on how it bids.
 */
export class StrategyRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #rng: Rng;
  readonly #landscape: LandscapeOptions;

  constructor(deps: { readonly rng: Rng; readonly landscape?: LandscapeOptions }) {
    this.#rng = deps.rng;
    this.#landscape = deps.landscape ?? {};
  }

  /** The line item's strategy, built on first use or when its configuration changed. */
  strategyFor(li: StrategyLineItem): PricingStrategy {
    const key = `${li.maxCpmMicros}:${JSON.stringify(li.bidStrategy)}`;
    const e = this.#entries.get(li.id);
    if (e !== undefined && e.key === key) return e.strategy;
    const market = e?.market ?? new MarketModel(this.#landscape);
    const strategy = createStrategy(li.bidStrategy, {
      maxCpmMicros: li.maxCpmMicros,
      rng: this.#rng,
      market,
    });
    this.#entries.set(li.id, { key, strategy, market });
    return strategy;
  }

  /** Routes an outcome to the line item's strategy; unknown ids (retired line items) are ignored. */
  observe(lineItemId: string, outcome: AuctionOutcome): void {
    this.#entries.get(lineItemId)?.strategy.observe(outcome);
  }

  /** Forgets line items that are no longer in the snapshot. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
  }
}
