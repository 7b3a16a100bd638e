import type { WinCurve } from './win-curve.ts';

/** Bisection steps: the bracket [0, value] shrinks below 1e-3 micro for any value under 1e12 micros. */
const STEPS = 50;

/**
 * The first-price bid for an impression worth `valueMicros` (CPM micros): the b maximising the
 * expected surplus (v − b) · W(b) (Gligorijevic et al. 2020, CIKM, "Bid shading
 * in the brave new world of first-price auctions"), restricted to [floor, min(v, cap)]. Not rounded.
 *
 * For the log-logistic W the optimum solves β (v − b)(1 − W(b)) = b; the left side falls and the
 * right side rises in b, so the root is unique, the surplus is unimodal and clamping the root to
 * the allowed range is the constrained optimum. With β = 1 this is ORTB's closed form
 * b = √(m² + v m) − m. Without a curve (nothing learned yet) it bids the value: no surplus, but
 * every win teaches the landscape something.
 */
export function shadeBid(
  valueMicros: number,
  floorMicros: number,
  capMicros: number,
  curve: WinCurve | undefined,
): number {
  const top = Math.min(valueMicros, capMicros);
  if (curve === undefined || !(top > 0)) return top;
  const beta = curve.shape;
  let lo = 0;
  let hi = valueMicros;
  for (let i = 0; i < STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (beta * (valueMicros - mid) * (1 - curve.winProbability(mid)) > mid) lo = mid;
    else hi = mid;
  }
  return Math.min(Math.max(lo, floorMicros), top);
}
