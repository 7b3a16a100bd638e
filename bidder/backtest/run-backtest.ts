import { ManualClock, seededRng } from '../../core/index.ts';
import { createStrategy, MarketModel, type StrategyConfig } from '../strategies/index.ts';
import type { AuctionLog } from './auction-log.ts';

/**
 * Log units → the strategies' micros. iPinYou prices are RMB fen per mille, and one fen is 10 000
 * micros of a yuan, so a log price p is a CPM of p · 10 000 micros and one impression bought at p
 * costs p · 10 account micros; a budget of B log units (a sum of market prices) is B · 10 micros.
 * Then "CPM / 1000 ≤ remaining budget" in micros is exactly "bid ≤ remaining budget" in log units.
 */
export const MICROS_PER_LOG_UNIT = 10_000;

/** Simulated time between two logged auctions; only the strategies' rate estimates see it. */
export const AUCTION_INTERVAL_MS = 1_000;

/** Simulated start of the replay (iPinYou season 2 starts on 6 June 2013). */
const EPOCH_MS = Date.UTC(2013, 5, 6);

/** What a replay runs. */
export interface BacktestOptions {
  /** The auctions to replay, cut into consecutive episodes. */
  readonly log: AuctionLog;
  /** Auctions per episode (N). */
  readonly episodeAuctions: number;
  /** Budget per full episode (B), log units. */
  readonly episodeBudget: number;
  /** The strategy under test, in CPM micros (see MICROS_PER_LOG_UNIT). */
  readonly strategy: StrategyConfig;
  /** Highest bid, log units (the line item's maxCpm). */
  readonly maxBid: number;
  /** Seeds the strategy's RNG. */
  readonly seed: number;
  /** Fully observed auctions the strategy learns from before the replay (landscape, pCTR). */
  readonly train?: AuctionLog | undefined;
  /** First-price replay: the winner pays its bid and learns only that the market price was ≤ it. */
  readonly firstPrice?: boolean;
  /** Shade value bids in first price (default true). */
  readonly shading?: boolean;
  /** Called every 4096 auctions and at the end. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The backtest's output line: log units, aggregated over every episode. */
export interface BacktestSummary {
  readonly auctions: number;
  readonly impressions: number;
  readonly clicks: number;
  /** Σ paid prices (second price: market prices; first price: our bids), log units. */
  readonly cost: number;
  /** impressions / auctions. */
  readonly win_rate: number;
  /** cost / impressions: the mean paid CPM, as log prices are already per mille (null with no impression). */
  readonly cpm: number | null;
  /** cost / clicks, log units (÷1000 for money per click; null with no click). */
  readonly ecpc: number | null;
}

/** A summary plus what the bench needs. */
export interface BacktestResult extends BacktestSummary {
  readonly episodes: number;
  /** Σ pCTR over won impressions: expected clicks, less noisy than clicks. */
  readonly expectedClicks: number;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * Replays a log through the same `createStrategy` code the bidder runs. Per auction: the strategy
 * prices it with the episode's remaining budget and auctions; a bid b (CPM micros) wins when
 * b ≥ market price · MICROS_PER_LOG_UNIT (ties win) and pays the market price (second price) or b
 * (first price); a win reveals the market price in second price only, a loss only that it was
 * higher (censored). The last episode, when shorter than N, gets the budget B · n/N, so every
 * auction is replayed at the same budget ratio.
 */
export function runBacktest(opts: BacktestOptions): BacktestResult {
  const { log, episodeAuctions: n0, episodeBudget } = opts;
  const firstPrice = opts.firstPrice ?? false;
  const market = new MarketModel({
    minPriceMicros: MICROS_PER_LOG_UNIT / 10,
    maxPriceMicros: opts.maxBid * MICROS_PER_LOG_UNIT * 10,
  });
  const strategy = createStrategy(opts.strategy, {
    maxCpmMicros: Math.floor(opts.maxBid * MICROS_PER_LOG_UNIT),
    rng: seededRng(opts.seed),
    market,
    shading: opts.shading ?? true,
  });
  const train = opts.train;
  if (train) {
    for (let i = 0; i < train.length; i++) {
      strategy.observe({
        kind: 'market',
        marketPriceMicros: train.marketPrice[i]! * MICROS_PER_LOG_UNIT,
        pctr: train.pctr[i]!,
      });
    }
  }
  const clock = new ManualClock(EPOCH_MS);
  let impressions = 0;
  let clicks = 0;
  let cost = 0;
  let expectedClicks = 0;
  let episodes = 0;
  for (let start = 0; start < log.length; start += n0) {
    const n = Math.min(n0, log.length - start);
    let remaining = (episodeBudget * n) / n0;
    episodes += 1;
    for (let t = 0; t < n; t++) {
      const i = start + t;
      const pctr = log.pctr[i]!;
      const remainingBudgetMicros = Math.floor((remaining * MICROS_PER_LOG_UNIT) / 1000);
      const bid = strategy.price({
        floorMicros: 0,
        firstPrice,
        remainingBudgetMicros,
        nowMs: clock.now(),
        pctr,
        remainingAuctions: n - t,
        remainingMs: (n - t) * AUCTION_INTERVAL_MS,
      });
      clock.advance(AUCTION_INTERVAL_MS);
      if (i % 4096 === 4095) opts.onProgress?.(i + 1, log.length);
      if (bid === undefined) continue;
      if (bid > remainingBudgetMicros * 1000) {
        throw new Error(`strategy ${strategy.name} bid ${bid} over the remaining budget`);
      }
      const price = log.marketPrice[i]!;
      const priceMicros = price * MICROS_PER_LOG_UNIT;
      if (bid >= priceMicros) {
        const paid = firstPrice ? bid / MICROS_PER_LOG_UNIT : price;
        remaining -= paid;
        impressions += 1;
        clicks += log.click[i]!;
        cost += paid;
        expectedClicks += pctr;
        strategy.observe({
          kind: 'win',
          bidMicros: bid,
          marketPriceMicros: firstPrice ? undefined : priceMicros,
          paidMicros: firstPrice ? bid : priceMicros,
        });
      } else strategy.observe({ kind: 'loss', bidMicros: bid });
    }
  }
  opts.onProgress?.(log.length, log.length);
  return {
    auctions: log.length,
    impressions,
    clicks,
    cost: round6(cost),
    win_rate: round6(impressions / log.length),
    cpm: impressions > 0 ? round6(cost / impressions) : null,
    ecpc: clicks > 0 ? round6(cost / clicks) : null,
    episodes,
    expectedClicks,
  };
}

/** The summary line's fields, in the documented order. */
export function summaryOf(r: BacktestSummary): BacktestSummary {
  return {
    auctions: r.auctions,
    impressions: r.impressions,
    clicks: r.clicks,
    cost: r.cost,
    win_rate: r.win_rate,
    cpm: r.cpm,
    ecpc: r.ecpc,
  };
}

/** Mean market price of a log, log units. */
export function meanMarketPrice(log: AuctionLog): number {
  let s = 0;
  for (let i = 0; i < log.length; i++) s += log.marketPrice[i]!;
  return s / log.length;
}

/**
 * Budget B per episode for a ratio of the average cost of an episode, N × mean market price of the
 * reference log (the training log, as Cai et al. 2017 set B = CPM_train × N × c₀).
 */
export function episodeBudgetFor(ratio: number, episodeAuctions: number, reference: AuctionLog): number {
  return ratio * episodeAuctions * meanMarketPrice(reference);
}
