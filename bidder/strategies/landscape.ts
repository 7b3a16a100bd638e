import { SimpleLinearRegression } from 'ml-regression';
import type { AuctionOutcome } from './strategy.ts';
import { logLogisticCurve, type WinCurve } from './win-curve.ts';

/** Tuning of a `Landscape`. Prices are CPM micros. */
export interface LandscapeOptions {
  /** Lower edge of the first price bin; lower prices fall in it (default 1 000 = 0.001 CPM). */
  readonly minPriceMicros?: number;
  /** Upper edge of the last price bin; higher prices fall in it (default 1e9 = 1 000 CPM). */
  readonly maxPriceMicros?: number;
  /** Log-spaced bins per decade of price (default 50, ~4.7% wide). */
  readonly binsPerDecade?: number;
  /** Refit the curve at most once per this many observations (default 64). */
  readonly refitEvery?: number;
  /** Observed market prices needed before a curve is fitted (default 8). */
  readonly minEvents?: number;
  /** A bin's KM estimate feeds the fit only when this many observations are at risk there (default 5). */
  readonly minAtRisk?: number;
}

/** One bin of the Kaplan–Meier estimate. */
export interface KaplanMeierBin {
  /** Upper edge of the bin, CPM micros. */
  readonly upperMicros: number;
  /** Observations whose market price is known to be in this bin or above. */
  readonly atRisk: number;
  /** Market prices observed in this bin. */
  readonly events: number;
  /** Losses whose bid is in this bin (market price above the bid). */
  readonly censored: number;
  /** S: the probability that the market price is at or above the upper edge. */
  readonly survival: number;
}

/** Probability levels at which the KM curve is sampled for the fit. */
const LEVELS = Array.from({ length: 19 }, (_, i) => (i + 1) / 20);

/**
 * The bid landscape of one line item, learned from its own auction outcomes with censoring.
 *
 * A win (or a revealed minimum-to-win) observes the market price z; a loss only says z > bid
 * (right-censored). Counting wins ÷ bids would underestimate W wherever we bid low, so the
 * market-price survival S is estimated with the Kaplan–Meier product limit over log-spaced price
 * bins, S(k) = Π_{j≤k} (1 − d_j / n_j), as in Wu et al. 2015 (KDD, "Predicting winning price in
 * real time bidding with censored data") and Zhang et al. 2016 (KDD, bid-aware gradient descent).
 * W(b) = 1 − S(b). A loss in bin k counts as surviving bin k (the usual KM tie rule).
 *
 * The step function is then smoothed into a log-logistic curve by an ordinary least-squares fit
 * (ml-regression `SimpleLinearRegression`) of logit W against ln b, on the KM curve sampled at
 * W = 5%, 10%, … 95% — so each point stands for the same probability mass and sparse tail bins do
 * not dominate. Why this form: two parameters are learnable from a few dozen wins, the curve is
 * monotone (slope > 0 required), extrapolates past the highest price we have seen (where KM is
 * undefined), and makes the shading optimum a one-dimensional root (see `shadeBid`).
 *
 * Each observation is an O(1) counter update; the O(bins) KM pass and the fit run lazily, at most
 * once per `refitEvery` observations. Everything is counts and fixed arithmetic: deterministic.
 */
export class Landscape {
  readonly #min: number;
  readonly #perDecade: number;
  readonly #bins: number;
  readonly #refitEvery: number;
  readonly #minEvents: number;
  readonly #minAtRisk: number;
  // Allocated on first use: a registry builds a landscape for every line item of a snapshot, and
  // most never see a notice (eager bins made compileSnapshot ~10× slower at 10,000 line items,
  // bench/bidder/targeting.bench.ts).
  #eventBins: Float64Array | undefined;
  #censoredBins: Float64Array | undefined;
  #totalEvents = 0;
  #pending = 0;
  #curve: WinCurve | undefined;
  #version = 0;

  constructor(opts: LandscapeOptions = {}) {
    this.#min = opts.minPriceMicros ?? 1_000;
    const max = opts.maxPriceMicros ?? 1_000_000_000;
    this.#perDecade = opts.binsPerDecade ?? 50;
    this.#bins = Math.max(1, Math.ceil(Math.log10(max / this.#min) * this.#perDecade));
    this.#refitEvery = Math.max(1, opts.refitEvery ?? 64);
    this.#minEvents = opts.minEvents ?? 8;
    this.#minAtRisk = opts.minAtRisk ?? 5;
  }

  get #events(): Float64Array {
    this.#eventBins ??= new Float64Array(this.#bins);
    return this.#eventBins;
  }

  get #censored(): Float64Array {
    this.#censoredBins ??= new Float64Array(this.#bins);
    return this.#censoredBins;
  }

  /** Bumped on every successful refit, so callers can cache what they derive from the curve. */
  get version(): number {
    return this.#version;
  }

  /** Market prices observed so far (wins, revealed minimum-to-win, training log lines). */
  get observedPrices(): number {
    return this.#totalEvents;
  }

  /** The bin a price falls in. */
  binOf(priceMicros: number): number {
    if (!(priceMicros > this.#min)) return 0;
    const k = Math.floor(Math.log10(priceMicros / this.#min) * this.#perDecade);
    return k < this.#bins ? k : this.#bins - 1;
  }

  /** Upper edge of bin k, CPM micros. */
  upperEdge(k: number): number {
    return this.#min * 10 ** ((k + 1) / this.#perDecade);
  }

  /** Records an outcome: O(1). Non-finite or negative prices are ignored. */
  observe(o: AuctionOutcome): void {
    const known = o.marketPriceMicros;
    if (known !== undefined && Number.isFinite(known) && known >= 0) this.#event(known);
    else if (o.kind === 'win' && Number.isFinite(o.bidMicros) && o.bidMicros >= 0) {
      // A first-price win without min-to-win says only z ≤ bid (left-censored, which KM cannot
      // take); booking z = bid is the conservative end: it underestimates W, so we shade less.
      this.#event(o.bidMicros);
    } else if (o.kind === 'loss' && Number.isFinite(o.bidMicros) && o.bidMicros >= 0) {
      this.#censored[this.binOf(o.bidMicros)]! += 1;
      this.#pending += 1;
    }
  }

  #event(priceMicros: number): void {
    this.#events[this.binOf(priceMicros)]! += 1;
    this.#totalEvents += 1;
    this.#pending += 1;
  }

  /** The Kaplan–Meier estimate per bin (bins with no observation at risk keep the last survival). */
  kaplanMeier(): KaplanMeierBin[] {
    const out: KaplanMeierBin[] = [];
    let atRisk = 0;
    for (let k = 0; k < this.#bins; k++) atRisk += this.#events[k]! + this.#censored[k]!;
    let s = 1;
    for (let k = 0; k < this.#bins; k++) {
      const d = this.#events[k]!;
      const c = this.#censored[k]!;
      if (atRisk > 0 && d > 0) s *= 1 - d / atRisk;
      out.push({ upperMicros: this.upperEdge(k), atRisk, events: d, censored: c, survival: s });
      atRisk -= d + c;
    }
    return out;
  }

  /** The unsmoothed KM win rate 1 − S at a bid's bin; 0 before any observation. */
  kmWinProbability(bidMicros: number): number {
    const k = this.binOf(bidMicros);
    let atRisk = 0;
    for (let j = 0; j < this.#bins; j++) atRisk += this.#events[j]! + this.#censored[j]!;
    let s = 1;
    for (let j = 0; j <= k; j++) {
      const d = this.#events[j]!;
      if (atRisk > 0 && d > 0) s *= 1 - d / atRisk;
      atRisk -= d + this.#censored[j]!;
    }
    return 1 - s;
  }

  /** The fitted win curve, refitted lazily; undefined until enough market prices are known. */
  curve(): WinCurve | undefined {
    if (this.#pending >= this.#refitEvery || (this.#curve === undefined && this.#pending > 0)) this.refit();
    return this.#curve;
  }

  /** Refits now. Keeps the previous curve when the data cannot support a fit. */
  refit(): void {
    this.#pending = 0;
    if (this.#totalEvents < this.#minEvents) return;
    const xs: number[] = [];
    const ys: number[] = [];
    let level = 0;
    let atRisk = 0;
    for (let k = 0; k < this.#bins; k++) atRisk += this.#events[k]! + this.#censored[k]!;
    let s = 1;
    for (let k = 0; k < this.#bins && level < LEVELS.length; k++) {
      const d = this.#events[k]!;
      const n = atRisk;
      atRisk -= d + this.#censored[k]!;
      if (d === 0 || n === 0) continue;
      s *= 1 - d / n;
      const f = 1 - s;
      if (f < LEVELS[level]!) continue;
      while (level < LEVELS.length && f >= LEVELS[level]!) level += 1;
      if (n < this.#minAtRisk || f >= 1) continue;
      xs.push(Math.log(this.upperEdge(k)));
      ys.push(Math.log(f / (1 - f)));
    }
    if (xs.length < 2) return;
    const fit = new SimpleLinearRegression(xs, ys);
    const shape = fit.slope;
    const median = Math.exp(-fit.intercept / shape);
    if (!(shape > 0) || !Number.isFinite(median) || !(median > 0)) return;
    this.#curve = logLogisticCurve(median, shape);
    this.#version += 1;
  }
}
