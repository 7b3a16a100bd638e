import type { BidStrategy, ValueBidStrategy } from '../../core/index.ts';

/**
 * What a strategy is told about one bid opportunity. Prices are CPM micros (micros of the account
 * currency per thousand impressions); budgets are plain account micros.
 */
export interface PriceContext {
  /** The auction's floor, CPM micros (0 when none). A strategy never bids below it. */
  readonly floorMicros: number;
  /** First-price auction (`at=1`): value strategies shade; otherwise they bid their value. */
  readonly firstPrice: boolean;
  /** Budget left in the pacing period, account micros: no bid costs more than this for one impression. */
  readonly remainingBudgetMicros: number;
  /** Wall-clock time of the opportunity, epoch ms (from the injected clock). */
  readonly nowMs: number;
  /** Predicted click probability of this impression. */
  readonly pctr?: number | undefined;
  /** Predicted conversion probability given a click. */
  readonly pcvr?: number | undefined;
  /** Expected revenue of one conversion, account micros (target ROAS). */
  readonly valueMicros?: number | undefined;
  /** Time left in the budget period (flight or day), ms. */
  readonly remainingMs?: number | undefined;
  /** Opportunities left in the budget period, when the caller knows them (the backtest does). */
  readonly remainingAuctions?: number | undefined;
}

/**
 * What an auction told us. `marketPriceMicros` is the price we had to beat (CPM micros) when the
 * exchange reveals it: the clearing price of a second-price auction, or `${AUCTION_MIN_TO_WIN}`
 * (OpenRTB 2.6) in first price. A first-price clearing price is our own bid, not the market price.
 */
export type AuctionOutcome =
  | {
      readonly kind: 'win';
      readonly bidMicros: number;
      readonly marketPriceMicros?: number | undefined;
      /** What the win cost, CPM micros (`${AUCTION_PRICE}`); default marketPriceMicros, else bidMicros. */
      readonly paidMicros?: number | undefined;
    }
  | { readonly kind: 'loss'; readonly bidMicros: number; readonly marketPriceMicros?: number | undefined }
  /** A fully observed historical auction (a training log): its market price and pCTR. */
  | { readonly kind: 'market'; readonly marketPriceMicros: number; readonly pctr?: number | undefined };

/** One line item's pricing: every strategy (server and backtest baselines) implements this. */
export interface PricingStrategy {
  /** The strategy's `type`, for logs and backtest output. */
  readonly name: string;
  /**
   * The CPM micros to bid — an integer in [floor, maxCpmMicros] with CPM / 1000 ≤ the remaining
   * budget — or undefined for no bid. Call once per opportunity: adaptive strategies record it
   * (pCTR distribution, request rate).
   */
  price(ctx: PriceContext): number | undefined;
  /** Learns from an auction outcome; O(1), safe to call from notice handlers. */
  observe(outcome: AuctionOutcome): void;
}

/** Backtest-only baseline: a uniformly random CPM in [minCpmMicros, maxCpmMicros] from the seeded RNG. */
export interface RandomBidStrategy {
  readonly type: 'random';
  readonly minCpmMicros: number;
  readonly maxCpmMicros: number;
}

/** Every strategy configuration `createStrategy` accepts. */
export type StrategyConfig = BidStrategy | ValueBidStrategy | RandomBidStrategy;
