import { describe, expect, it } from 'vitest';
import { parseIpinyouLog } from './auction-log.ts';
import { strategyConfigFor, tuningGrid } from './baselines.ts';
import { generateSyntheticLog } from './generate-log.ts';
import { episodeBudgetFor, runBacktest, summaryOf } from './run-backtest.ts';

// Train: Σ price = 400, 2 clicks → eCPC 200; mean pCTR (0.1 + 0.3 + 0.4 + 0.2) / 4 = 0.25.
const TRAIN = parseIpinyouLog('1 100 0.1\n0 60 0.3\n1 40 0.4\n0 200 0.2\n');
// Replayed in episodes of N = 2 with B = 100: [0, 1], [2, 3], then [4] alone with B · 1/2 = 50.
const LOG = parseIpinyouLog('0 30 0.25\n1 50 0.3\n1 90 0.4\n0 20 0.125\n1 45 0.5\n');
const common = { log: LOG, train: TRAIN, episodeAuctions: 2, episodeBudget: 100, maxBid: 300, seed: 1 };

describe('runBacktest baselines, computed by hand', () => {
  it('Mcpc bids pCTR × eCPC(train) and pays the market price', () => {
    const strategy = strategyConfigFor('mcpc', { ...common });
    // eCPC 200 log units: one impression at price p costs 10·p micros, so 2 000 micros a click.
    expect(strategy).toEqual({ type: 'targetCpc', cpcMicros: 2_000 });
    // bids 200·pCTR: 50 ≥ 30 win (70 left) · 60 ≥ 50 win+click (20 left) | 80 < 90 lost · 25 ≥ 20 win
    // (80 left) | 100 capped at the last episode's budget 50 ≥ 45 win+click.
    expect(summaryOf(runBacktest({ ...common, strategy }))).toEqual({
      auctions: 5,
      impressions: 4,
      clicks: 2,
      cost: 145,
      win_rate: 0.8,
      cpm: 36.25,
      ecpc: 72.5,
    });
  });

  it('Lin bids base × pCTR / mean train pCTR; ties win', () => {
    const strategy = strategyConfigFor('lin', { ...common, bid: 40 });
    expect(strategy).toEqual({ type: 'linear', baseCpmMicros: 400_000, avgPctr: 0.25 });
    // bids 160·pCTR: 40 ≥ 30 win (70 left) · 48 < 50 lost | 64 < 90 lost · 20 ≥ 20 win
    // | 80 capped at 50 ≥ 45 win+click.
    expect(summaryOf(runBacktest({ ...common, strategy }))).toEqual({
      auctions: 5,
      impressions: 3,
      clicks: 1,
      cost: 95,
      win_rate: 0.6,
      cpm: 31.666667,
      ecpc: 95,
    });
  });

  it('tunes Lin’s base bid on the training log: the cheapest grid bid with the most clicks', () => {
    // On TRAIN (N = 2, B = 100) a bid of 1.6·base wins the click at 40 once base ≥ 25; the click at
    // 100 needs 0.4·base ≥ 100, base ≥ 250 (capped at the budget, 100 ≥ 100 wins). Two clicks, cost
    // 140, for every base ≥ 250: the first grid point there wins.
    const base = tuningGrid(300).find((b) => b >= 250)!;
    expect(strategyConfigFor('lin', { ...common })).toEqual({
      type: 'linear',
      baseCpmMicros: base * 10_000,
      avgPctr: 0.25,
    });
    expect(tuningGrid(300).slice(0, 31)).toEqual([...Array.from({ length: 30 }, (_, i) => i + 1), 32]);
    expect(tuningGrid(300).at(-1)).toBe(300);
  });

  it('asks for a training log when a baseline needs one', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    expect(code(() => strategyConfigFor('mcpc', { ...common, train: undefined }))).toBe('BT_TRAIN_REQUIRED');
    expect(code(() => strategyConfigFor('lin', { ...common, train: undefined }))).toBe('BT_TRAIN_REQUIRED');
    expect(code(() => strategyConfigFor('mcpc', { ...common, train: parseIpinyouLog('0 5 0.1\n') }))).toBe(
      'BT_TRAIN_REQUIRED',
    );
    expect(strategyConfigFor('const', { ...common, train: undefined, bid: 7 })).toEqual({
      type: 'fixed',
      cpmMicros: 70_000,
    });
  });
});

describe('runBacktest replay', () => {
  const train = generateSyntheticLog({ auctions: 4_000, seed: 1 });
  const log = generateSyntheticLog({ auctions: 4_500, seed: 2 });
  const budget = episodeBudgetFor(1 / 8, 1_000, train);

  it('never spends more than the budget of any episode, and prorates the last partial one', () => {
    for (const name of ['max-clicks', 'mcpc', 'const'] as const) {
      const inputs = { train, maxBid: 300, episodeAuctions: 1_000, episodeBudget: budget, seed: 1, bid: 150 };
      const r = runBacktest({
        log,
        train,
        episodeAuctions: 1_000,
        episodeBudget: budget,
        maxBid: 300,
        seed: 1,
        strategy: strategyConfigFor(name, inputs),
      });
      expect(r.episodes).toBe(5);
      expect(r.cost).toBeLessThanOrEqual(budget * 4.5 + 1e-6);
    }
  });

  it('takes budget ratios of N × the mean market price of the reference log', () => {
    const two = parseIpinyouLog('0 10 0.1\n0 30 0.1\n');
    expect(episodeBudgetFor(1 / 4, 1_000, two)).toBe(5_000);
  });

  it('is deterministic, also for the random baseline and in first price', () => {
    const run = (firstPrice: boolean) =>
      runBacktest({
        log,
        train,
        episodeAuctions: 1_000,
        episodeBudget: budget,
        maxBid: 300,
        seed: 9,
        firstPrice,
        strategy: { type: 'random', minCpmMicros: 10_000, maxCpmMicros: 2_000_000 },
      });
    expect(run(false)).toEqual(run(false));
    expect(run(true)).toEqual(run(true));
    expect(run(true)).not.toEqual(run(false));
  });

  it('shading in a first-price replay buys clicks for less than bidding the value', () => {
    const strategy = strategyConfigFor('mcpc', {
      train,
      maxBid: 300,
      episodeAuctions: 1_000,
      episodeBudget: 1e9,
      seed: 1,
    });
    const run = (shading: boolean) =>
      runBacktest({
        log,
        train,
        episodeAuctions: 1_000,
        episodeBudget: 1e9,
        maxBid: 300,
        seed: 1,
        firstPrice: true,
        shading,
        strategy,
      });
    const shaded = run(true);
    const truthful = run(false);
    expect(shaded.cost / shaded.impressions).toBeLessThan(truthful.cost / truthful.impressions);
  });
});
