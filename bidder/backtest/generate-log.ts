import { type Rng, seededRng } from '../../core/index.ts';
import type { AuctionLog } from './auction-log.ts';

/**
 * The hidden truth of a synthetic log. Market price = round(median · exp(σ · (ρ·s + √(1−ρ²)·ε)))
 * clamped to [1, maxPrice], with ε ~ N(0, 1) and s the standardised pCTR; pCTR ~ Beta(α, β);
 * click ~ Bernoulli(pCTR), so the score is calibrated. With ρ = 0 prices are log-normal and
 * independent of pCTR, and a strategy's expected clicks and cost can be computed in closed form.
 */
export interface SyntheticTruth {
  /** Median market price, log units (default 80, iPinYou-like). */
  readonly priceMedian: number;
  /** σ of ln(market price) (default 0.6). */
  readonly priceSigma: number;
  /** Beta α of pCTR (default 1.5). */
  readonly ctrAlpha: number;
  /** Beta β of pCTR (default 300: mean CTR 0.5%). */
  readonly ctrBeta: number;
  /** ρ between ln(price) and pCTR (default 0). */
  readonly correlation: number;
  /** Highest market price (default 300, as in make-ipinyou-data). */
  readonly maxPrice: number;
}

/** The defaults of `SyntheticTruth`. */
export const DEFAULT_TRUTH: SyntheticTruth = {
  priceMedian: 80,
  priceSigma: 0.6,
  ctrAlpha: 1.5,
  ctrBeta: 300,
  correlation: 0,
  maxPrice: 300,
};

function normal(rng: Rng): number {
  // Box–Muller; 1 − u keeps the log finite.
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(α, 1) by Marsaglia & Tsang 2000 (boosted by U^(1/α) for α < 1). */
function gamma(rng: Rng, alpha: number): number {
  if (alpha < 1) return gamma(rng, alpha + 1) * (1 - rng.next()) ** (1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rng);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * A synthetic auction log (not real data) drawn from `truth` with a seeded RNG: the same options
 * give the same log on every platform. pCTR is kept to 6 significant digits, as the file holds it.
 */
export function generateSyntheticLog(opts: {
  readonly auctions: number;
  readonly seed: number;
  readonly truth?: Partial<SyntheticTruth>;
}): AuctionLog {
  const t = { ...DEFAULT_TRUTH, ...opts.truth };
  const rng = seededRng(opts.seed);
  const n = opts.auctions;
  const click = new Uint8Array(n);
  const marketPrice = new Float64Array(n);
  const pctr = new Float64Array(n);
  const ab = t.ctrAlpha + t.ctrBeta;
  const mean = t.ctrAlpha / ab;
  const sd = Math.sqrt((t.ctrAlpha * t.ctrBeta) / (ab * ab * (ab + 1)));
  const rho = t.correlation;
  for (let i = 0; i < n; i++) {
    const x = gamma(rng, t.ctrAlpha);
    const p = Number((x / (x + gamma(rng, t.ctrBeta))).toPrecision(6));
    const z = rho * ((p - mean) / sd) + Math.sqrt(1 - rho * rho) * normal(rng);
    pctr[i] = p;
    marketPrice[i] = Math.min(
      t.maxPrice,
      Math.max(1, Math.round(t.priceMedian * Math.exp(t.priceSigma * z))),
    );
    click[i] = rng.next() < p ? 1 : 0;
  }
  return { length: n, click, marketPrice, pctr };
}
