/** Lowest pCTR the histogram resolves; anything below shares the first bin. */
const MIN_PCTR = 1e-6;
/** Log-spaced bins per decade of pCTR: 60 bins cover 1e-6 … 1. */
const PER_DECADE = 10;
const BINS = 6 * PER_DECADE;

/**
 * The pCTR distribution of the opportunities a line item sees: a running mean (the linear
 * strategy's base CTR) and a log-spaced histogram keeping each bin's mean (the max-clicks spend
 * forecast). O(1) per value, fixed memory, deterministic.
 */
export class PctrStats {
  readonly #count = new Float64Array(BINS);
  readonly #sum = new Float64Array(BINS);
  #n = 0;
  #total = 0;

  /** Values recorded. */
  get count(): number {
    return this.#n;
  }

  /** Mean pCTR, or undefined before any value. */
  mean(): number | undefined {
    return this.#n > 0 ? this.#total / this.#n : undefined;
  }

  /** Records one pCTR; values outside [0, 1] or non-finite are ignored. */
  add(pctr: number): void {
    if (!(pctr >= 0 && pctr <= 1)) return;
    const k = pctr > MIN_PCTR ? Math.min(BINS - 1, Math.floor(Math.log10(pctr / MIN_PCTR) * PER_DECADE)) : 0;
    this.#count[k]! += 1;
    this.#sum[k]! += pctr;
    this.#n += 1;
    this.#total += pctr;
  }

  /** The non-empty bins as (mean pCTR, share of opportunities), in increasing pCTR. */
  distribution(): { pctr: number; share: number }[] {
    const out: { pctr: number; share: number }[] = [];
    for (let k = 0; k < BINS; k++) {
      const c = this.#count[k]!;
      if (c > 0) out.push({ pctr: this.#sum[k]! / c, share: c / this.#n });
    }
    return out;
  }
}
