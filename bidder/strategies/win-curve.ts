/**
 * A smooth bid landscape: W(b), the probability that a bid of b CPM micros wins, i.e. that the
 * market price (highest competing bid or floor) is at most b.
 */
export interface WinCurve {
  /** Market price with W = 1/2, CPM micros. */
  readonly medianMicros: number;
  /** Log-logistic shape β: the slope of logit W against ln b. */
  readonly shape: number;
  /** W(b) in [0, 1]. */
  winProbability(bidMicros: number): number;
  /** Expected second-price payment of one auction bid at b, ∫₀ᵇ z dW(z), CPM micros (0 when lost). */
  expectedPaymentMicros(bidMicros: number): number;
}

/** Grid points per natural-log unit of price for the payment table (~2.7% steps). */
const GRID_PER_LN = 36;
/** The payment table spans ±5 decades around the median; beyond it the tail is integrated in one step. */
const GRID_HALF_SPAN_LN = 5 * Math.LN10;

/**
 * The log-logistic win curve W(b) = 1 / (1 + (m/b)^β). It generalises ORTB's w(b) = b/(c+b)
 * (Zhang et al. 2014: β = 1, c = m; their w(b) = b²/(c²+b²) is β = 2) and is close to the
 * log-normal shape market prices usually have, while staying monotone and invertible in closed
 * form, which shading relies on.
 */
export function logLogisticCurve(medianMicros: number, shape: number): WinCurve {
  if (!(medianMicros > 0 && Number.isFinite(medianMicros)) || !(shape > 0 && Number.isFinite(shape))) {
    throw new RangeError(
      `log-logistic curve needs a positive median and shape (got ${medianMicros}, ${shape})`,
    );
  }
  const lnM = Math.log(medianMicros);
  const win = (b: number): number => (b > 0 ? 1 / (1 + Math.exp(shape * (lnM - Math.log(b)))) : 0);
  // Cumulative ∫ z dW on a log grid, built once: the max-clicks strategy evaluates payments
  // thousands of times per refit, so each evaluation must be a lookup, not an integration.
  const n = Math.ceil(2 * GRID_HALF_SPAN_LN * GRID_PER_LN) + 1;
  const lnX0 = lnM - GRID_HALF_SPAN_LN;
  const xs = new Float64Array(n);
  const ws = new Float64Array(n);
  const cum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = Math.exp(lnX0 + i / GRID_PER_LN);
    ws[i] = win(xs[i]!);
    // Below the grid, mass W(x₀) is paid at most x₀: x₀/2 is its midpoint.
    cum[i] =
      i === 0 ? (ws[0]! * xs[0]!) / 2 : cum[i - 1]! + (ws[i]! - ws[i - 1]!) * Math.sqrt(xs[i]! * xs[i - 1]!);
  }
  return {
    medianMicros,
    shape,
    winProbability: win,
    expectedPaymentMicros(b: number): number {
      if (!(b > 0)) return 0;
      const t = (Math.log(b) - lnX0) * GRID_PER_LN;
      if (t < 0) return (win(b) * b) / 2;
      const i = Math.min(Math.floor(t), n - 1);
      const x = xs[i]!;
      return cum[i]! + (win(b) - ws[i]!) * Math.sqrt(x * b);
    },
  };
}
