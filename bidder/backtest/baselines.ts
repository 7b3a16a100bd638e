import type { StrategyConfig } from '../strategies/index.ts';
import type { AuctionLog } from './auction-log.ts';
import { BacktestErrors, backtestError } from './errors.ts';
import { MICROS_PER_LOG_UNIT, runBacktest } from './run-backtest.ts';

/** Strategy names `outbid backtest --strategy` accepts. */
export const STRATEGY_NAMES = ['max-clicks', 'mcpc', 'lin', 'const', 'rand'] as const;

/** A `--strategy` name. */
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What a baseline may learn from or be given. Bids are log units. */
export interface BaselineInputs {
  readonly train?: AuctionLog | undefined;
  /** const: the bid; rand: the upper bound; lin: the base bid. Tuned on `train` when absent. */
  readonly bid?: number | undefined;
  readonly maxBid: number;
  readonly episodeAuctions: number;
  readonly episodeBudget: number;
  readonly seed: number;
  readonly firstPrice?: boolean;
}

/**
 * Candidate bids for tuning: integers 1…maxBid on a ~5% geometric grid (every integer up to 30),
 * the resolution at which iPinYou prices live.
 */
export function tuningGrid(maxBid: number): number[] {
  const out: number[] = [];
  for (let b = 1; b <= maxBid; b = Math.max(b + 1, Math.round(b * 1.05))) out.push(b);
  if (out[out.length - 1] !== Math.floor(maxBid)) out.push(Math.floor(maxBid));
  return out;
}

/**
 * The bid parameter that gets the most clicks replaying the training log at the episode size and
 * budget (fewer cost, then the smaller bid, break ties): how Cai et al. 2017 tune Lin's base bid.
 */
export function tuneOnTrain(
  train: AuctionLog,
  configFor: (bid: number) => StrategyConfig,
  inputs: BaselineInputs,
): number {
  let best: { bid: number; clicks: number; cost: number } | undefined;
  for (const bid of tuningGrid(inputs.maxBid)) {
    const r = runBacktest({
      log: train,
      train,
      episodeAuctions: inputs.episodeAuctions,
      episodeBudget: inputs.episodeBudget,
      strategy: configFor(bid),
      maxBid: inputs.maxBid,
      seed: inputs.seed,
      firstPrice: inputs.firstPrice ?? false,
    });
    if (best === undefined || r.clicks > best.clicks || (r.clicks === best.clicks && r.cost < best.cost)) {
      best = { bid, clicks: r.clicks, cost: r.cost };
    }
  }
  return best!.bid;
}

function meanPctr(log: AuctionLog): number {
  let s = 0;
  for (let i = 0; i < log.length; i++) s += log.pctr[i]!;
  return s / log.length;
}

/**
 * The strategy configuration a `--strategy` name stands for, in CPM micros:
 * - `max-clicks`: ours (`{type: 'maxClicks'}`).
 * - `mcpc`: `targetCpc` with the training log's eCPC, Σ market price / Σ clicks — bid = pCTR × eCPC.
 * - `lin`: `linear`, avgPctr = the training log's mean pCTR, base bid given or tuned on it.
 * - `const`: `fixed` at the given or tuned bid. `rand`: uniform in [1, given or tuned bound].
 */
export function strategyConfigFor(name: StrategyName, inputs: BaselineInputs): StrategyConfig {
  const { train } = inputs;
  const micros = (logUnits: number) => Math.max(1, Math.round(logUnits * MICROS_PER_LOG_UNIT));
  const given = inputs.bid;
  const needTrain = (what: string): AuctionLog => {
    if (train === undefined) throw backtestError(BacktestErrors.BT_TRAIN_REQUIRED, `${name} needs ${what}`);
    return train;
  };
  switch (name) {
    case 'max-clicks':
      return { type: 'maxClicks' };
    case 'mcpc': {
      const t = needTrain('--train');
      let cost = 0;
      let clicks = 0;
      for (let i = 0; i < t.length; i++) {
        cost += t.marketPrice[i]!;
        clicks += t.click[i]!;
      }
      if (clicks === 0) throw backtestError(BacktestErrors.BT_TRAIN_REQUIRED, 'mcpc needs clicks in --train');
      // eCPC in account micros: one impression at price p costs p · MICROS_PER_LOG_UNIT / 1000.
      return { type: 'targetCpc', cpcMicros: micros(cost / clicks / 1000) };
    }
    case 'lin': {
      const avg = train === undefined ? undefined : meanPctr(train);
      const cfg = (base: number): StrategyConfig =>
        avg === undefined
          ? { type: 'linear', baseCpmMicros: micros(base) }
          : { type: 'linear', baseCpmMicros: micros(base), avgPctr: avg };
      return cfg(given ?? tuneOnTrain(needTrain('--train or --bid'), cfg, inputs));
    }
    case 'const': {
      const cfg = (b: number): StrategyConfig => ({ type: 'fixed', cpmMicros: micros(b) });
      return cfg(given ?? tuneOnTrain(needTrain('--train or --bid'), cfg, inputs));
    }
    case 'rand': {
      const cfg = (b: number): StrategyConfig => ({
        type: 'random',
        minCpmMicros: MICROS_PER_LOG_UNIT,
        maxCpmMicros: micros(Math.max(1, b)),
      });
      return cfg(given ?? tuneOnTrain(needTrain('--train or --bid'), cfg, inputs));
    }
  }
}
