import type { ArmStats } from './arm-stats.ts';
import { largestRemainder } from './largest-remainder.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Hours of the day that must be counted for a capacity; the others are taken at the busiest counted hour's spend. */
const MIN_COUNTED_HOURS = 18;
/** How far back capacity looks: a week, the optimizer's default stats window. */
const LOOKBACK_HOURS = 7 * 24;

/**
 * How much each budget arm can spend in a day when nothing but its traffic limits it, from its
 * hourly spend: an hour counts when the arm spent in it and in the next hour too (it was not out
 * of budget, its own or the campaign's, by the hour's end: an arm that runs out stops spending,
 * and the hour it ran out in is partial). Each hour of the day (UTC; 24 of them in any time zone)
 * is the mean of its counted hours, and the daily capacity is their sum. Up to 6 hours of the day
 * never counted (the campaign ran out of budget late in the day) are taken at the busiest counted
 * hour's spend, so the guess errs high (a limit too loose, not money moved away from an arm that
 * could spend it). An arm with more hours of the day never counted (it ran out of budget early
 * every day) has no known capacity: `undefined`, no limit. Rows must be hourly periods (an arm
 * with any other period length gets `undefined` too); only the week of hours before `nowMs`'s hour
 * is used.
 */
export function dailyCapacity(
  rows: readonly ArmStats[],
  armIds: readonly string[],
  nowMs: number,
): (number | undefined)[] {
  const n = armIds.length;
  const index = new Map<string, number>();
  for (let k = 0; k < n; k++) index.set(armIds[k]!, k);
  // Each arm's spend by hour from its first row (at most LOOKBACK_HOURS back) to now, plus one empty
  // slot so that every hour has a next one, in a typed array (a Map per arm cost 2× as much in the
  // cycle bench).
  const nowHourMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  let firstMs = nowHourMs;
  for (const r of rows) if (r.periodStartMs < firstMs) firstMs = r.periodStartMs;
  firstMs = Math.max(Math.floor(firstMs / HOUR_MS) * HOUR_MS, nowHourMs - LOOKBACK_HOURS * HOUR_MS);
  const span = (nowHourMs - firstMs) / HOUR_MS + 2;
  const spend = new Float64Array(n * span);
  const odd = new Uint8Array(n);
  for (const r of rows) {
    const k = index.get(r.armId);
    if (k === undefined) continue;
    if (r.periodEndMs - r.periodStartMs !== HOUR_MS || r.periodStartMs % HOUR_MS !== 0) {
      odd[k] = 1;
      continue;
    }
    const t = (r.periodStartMs - firstMs) / HOUR_MS;
    if (t >= 0 && t < span - 1) spend[k * span + t]! += r.spendMicros;
  }
  const firstHod = Math.floor((((firstMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  const out = new Array<number | undefined>(n).fill(undefined);
  const sum = new Float64Array(24);
  const count = new Uint32Array(24);
  for (let k = 0; k < n; k++) {
    if (odd[k] === 1) continue;
    sum.fill(0);
    count.fill(0);
    const base = k * span;
    for (let t = 0; t < span - 1; t++) {
      const s = spend[base + t]!;
      if (!(s > 0) || !(spend[base + t + 1]! > 0)) continue;
      const hod = (firstHod + t) % 24;
      sum[hod]! += s;
      count[hod]! += 1;
    }
    let total = 0;
    let counted = 0;
    let peak = 0;
    for (let h = 0; h < 24; h++) {
      if (count[h] === 0) continue;
      const mean = sum[h]! / count[h]!;
      total += mean;
      counted++;
      if (mean > peak) peak = mean;
    }
    if (counted >= MIN_COUNTED_HOURS) out[k] = Math.floor(total + (24 - counted) * peak);
  }
  return out;
}

/** What `fitToCapacity` changed. */
export interface CapacityFit {
  /** Daily budgets in arm order, summing to the input's total. */
  budgets: number[];
  /** Micros moved from arms whose budget was above their capacity to the others. */
  movedMicros: number;
  /** Indexes of the arms held to their capacity. */
  limited: number[];
}

/**
 * Holds each eligible arm's daily budget to its capacity (when known) and gives what that frees to
 * the other eligible arms in proportion to their budgets, repeating while a receiving arm goes over
 * its own capacity; what no arm can take (every one is at its capacity) goes back in proportion to
 * the original budgets. Ineligible arms keep 0. The total is unchanged, in integer micros.
 */
export function fitToCapacity(
  budgets: readonly number[],
  capacity: readonly (number | undefined)[],
  eligible: readonly boolean[],
): CapacityFit {
  const n = budgets.length;
  const out = budgets.slice();
  const limited: number[] = [];
  const atCap = new Array<boolean>(n).fill(false);
  // What the arms held this round freed; given to the others, or left when no arm can take it.
  let free = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      const c = capacity[i];
      if (!eligible[i] || atCap[i] || c === undefined || out[i]! <= c) continue;
      free += out[i]! - c;
      out[i] = c;
      atCap[i] = true;
      limited.push(i);
    }
    const takers: number[] = [];
    for (let i = 0; i < n; i++) if (eligible[i] && !atCap[i] && out[i]! > 0) takers.push(i);
    if (free === 0 || takers.length === 0) break;
    const parts = largestRemainder(
      free,
      takers.map((i) => out[i]!),
    );
    takers.forEach((i, k) => {
      out[i]! += parts[k]!;
    });
    free = 0;
  }
  if (free > 0) {
    // Every arm is at its capacity: the rest goes back where it came from.
    const parts = largestRemainder(
      free,
      budgets.map((b, i) => (eligible[i] ? b : 0)),
    );
    parts.forEach((p, i) => {
      out[i]! += p;
    });
  }
  let movedMicros = 0;
  for (let i = 0; i < n; i++) movedMicros += Math.max(0, budgets[i]! - out[i]!);
  return { budgets: out, movedMicros, limited: limited.sort((a, b) => a - b) };
}
