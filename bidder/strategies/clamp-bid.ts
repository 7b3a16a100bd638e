import type { PriceContext } from './strategy.ts';

/**
 * The rule every strategy's answer goes through: round down to integer CPM micros, cap at the line
 * item's max CPM and at the CPM whose one impression costs the whole remaining budget (CPM/1000 ≤
 * budget), and return undefined — a no-bid, never a bid under the floor — when that leaves nothing
 * at or above the floor. Non-finite inputs give undefined, so no NaN ever reaches a response.
 */
export function clampBid(bidMicros: number, ctx: PriceContext, maxCpmMicros: number): number | undefined {
  const floor = ctx.floorMicros;
  if (!(floor >= 0)) return undefined;
  const capped = Math.floor(Math.min(bidMicros, maxCpmMicros, ctx.remainingBudgetMicros * 1000));
  if (!(capped >= 1) || capped < floor || !Number.isFinite(capped)) return undefined;
  return capped;
}
