import { describe, expect, it } from 'vitest';
import { type Rng, seededRng } from '../../core/index.ts';
import type { PriceContext, PricingStrategy } from './strategy.ts';

/** The max CPM every strategy under contract is built with. */
export const CONTRACT_MAX_CPM_MICROS = 5_000_000;

/** Builds the strategy under test; the suite passes the cap and a seeded RNG. */
export type MakeStrategy = (deps: { readonly maxCpmMicros: number; readonly rng: Rng }) => PricingStrategy;

const GARBAGE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 0, 1.5] as const;

/** A random opportunity: floors, budgets, auction types, horizons and scores across their ranges. */
function randomContext(r: Rng, nowMs: number): PriceContext {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
  return {
    floorMicros: pick([0, 0, 100_000, Math.floor(r.next() * 8_000_000), 4_999_999, 5_000_000, 6_000_000]),
    firstPrice: r.next() < 0.5,
    remainingBudgetMicros: pick([0, 1, 999, 2_500, Math.floor(r.next() * 100_000), 1e9, 1e15]),
    nowMs,
    pctr: pick([undefined, 0, 1, r.next() * 0.05, r.next() * 0.05, r.next()]),
    pcvr: pick([undefined, r.next() * 0.2, 1]),
    valueMicros: pick([undefined, Math.floor(r.next() * 100_000_000)]),
    remainingMs: pick([undefined, Math.floor(r.next() * 86_400_000)]),
    remainingAuctions: pick([undefined, 1, Math.ceil(r.next() * 1_000)]),
  };
}

/** The market's answer: a log-normal price around 1.5 CPM, revealed on second-price wins only. */
function respond(s: PricingStrategy, r: Rng, ctx: PriceContext, bid: number | undefined): void {
  const u = 1 - r.next();
  const price = 1_500_000 * Math.exp(0.7 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next()));
  if (r.next() < 0.2) s.observe({ kind: 'market', marketPriceMicros: price, pctr: r.next() * 0.05 });
  if (bid === undefined) return;
  if (bid >= price) {
    s.observe({ kind: 'win', bidMicros: bid, marketPriceMicros: ctx.firstPrice ? undefined : price });
  } else s.observe({ kind: 'loss', bidMicros: bid });
}

function checkBid(bid: number | undefined, ctx: PriceContext): void {
  if (bid === undefined) return;
  expect(Number.isInteger(bid), `integer: ${bid}`).toBe(true);
  expect(bid).toBeGreaterThanOrEqual(1);
  expect(bid).toBeGreaterThanOrEqual(ctx.floorMicros);
  expect(bid).toBeLessThanOrEqual(CONTRACT_MAX_CPM_MICROS);
  expect(bid / 1000).toBeLessThanOrEqual(ctx.remainingBudgetMicros);
}

/** Runs `n` opportunities with feedback; returns every answer. */
function replay(make: MakeStrategy, seed: number, n: number, check: boolean): (number | undefined)[] {
  const s = make({ maxCpmMicros: CONTRACT_MAX_CPM_MICROS, rng: seededRng(seed) });
  const world = seededRng(seed + 1);
  const out: (number | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = randomContext(world, 1_700_000_000_000 + i * 250);
    const bid = s.price(ctx);
    if (check) checkBid(bid, ctx);
    out.push(bid);
    respond(s, world, ctx, bid);
  }
  return out;
}

/**
 * The contract every PricingStrategy passes (Hono's `common.case.test.ts` pattern): answers are
 * integer CPM micros in [floor, max CPM] that one impression of which the remaining budget pays —
 * or undefined, never a bid under the floor — never NaN whatever the inputs, and the same calls
 * with the same seed give the same answers.
 */
export function strategyContract(name: string, make: MakeStrategy): void {
  describe(`${name} (strategy contract)`, () => {
    it('bids integers in [floor, max CPM] within the remaining budget, or nothing', () => {
      const bids = replay(make, 11, 3_000, true);
      expect(bids.some((b) => b !== undefined)).toBe(true);
    });

    it('does not bid when the floor is above the max CPM or the budget is gone', () => {
      const s = make({ maxCpmMicros: CONTRACT_MAX_CPM_MICROS, rng: seededRng(3) });
      const base = { firstPrice: false, nowMs: 0, pctr: 0.01, pcvr: 0.1, valueMicros: 50_000_000 } as const;
      const full = { ...base, remainingAuctions: 10, remainingMs: 10_000 };
      expect(
        s.price({ ...full, floorMicros: CONTRACT_MAX_CPM_MICROS + 1, remainingBudgetMicros: 1e12 }),
      ).toBeUndefined();
      expect(s.price({ ...full, floorMicros: 0, remainingBudgetMicros: 0 })).toBeUndefined();
      expect(s.price({ ...full, floorMicros: 0, remainingBudgetMicros: -5 })).toBeUndefined();
    });

    it('never answers NaN or a non-integer, whatever garbage it is given', () => {
      const s = make({ maxCpmMicros: CONTRACT_MAX_CPM_MICROS, rng: seededRng(5) });
      for (const g of GARBAGE) {
        for (const field of [
          'floorMicros',
          'remainingBudgetMicros',
          'pctr',
          'pcvr',
          'valueMicros',
          'remainingAuctions',
          'remainingMs',
          'nowMs',
        ] as const) {
          const ctx: PriceContext = {
            floorMicros: 0,
            firstPrice: g === 0,
            remainingBudgetMicros: 1e9,
            nowMs: 1,
            pctr: 0.01,
            pcvr: 0.1,
            valueMicros: 50_000_000,
            remainingAuctions: 10,
            remainingMs: 10_000,
            [field]: g,
          };
          const bid = s.price(ctx);
          if (bid !== undefined) {
            expect(Number.isInteger(bid), `${field}=${g}`).toBe(true);
            expect(bid).toBeGreaterThanOrEqual(
              Math.max(1, Number.isFinite(ctx.floorMicros) ? ctx.floorMicros : 0),
            );
            expect(bid).toBeLessThanOrEqual(CONTRACT_MAX_CPM_MICROS);
          }
          s.observe({ kind: 'win', bidMicros: g, marketPriceMicros: g });
          s.observe({ kind: 'loss', bidMicros: g });
          s.observe({ kind: 'market', marketPriceMicros: g, pctr: g });
        }
      }
    });

    it('is deterministic: the same seed and calls give the same answers', () => {
      expect(replay(make, 21, 1_500, false)).toEqual(replay(make, 21, 1_500, false));
    });
  });
}
