import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.ts';
import { type ArmStats, decayStats, EMPTY_STATS } from '../arm-stats.ts';
import { largestRemainder } from '../largest-remainder.ts';
import { type GoalModel, groupPosteriors } from '../posterior.ts';
import type { Bandit, BanditArm, BanditContext } from './bandit.ts';

const HOUR = 3_600_000;

/** A hidden truth and the guardrails of one simulated run. */
export interface SimulationSetup {
  /** True CTR per arm. */
  ctr: readonly number[];
  /** True cost per impression per arm, micros (default 1,000 for every arm: CPM 1.00). */
  costMicros?: readonly number[];
  /** Arms the bandit must never fund (paused, out of budget, cap unreachable). */
  ineligible?: readonly number[];
  periods: number;
  impressionsPerPeriod: number;
  explorationFloor: number;
  maxChange: number;
  halfLifeMs: number;
  seed: number;
}

/** Shares per period of one run. */
export interface SimulationRun {
  shares: number[][];
}

/**
 * Runs a bandit against Bernoulli clicks from a hidden truth: each hourly period the bandit's
 * shares split `impressionsPerPeriod`, every impression clicks with its arm's true CTR (drawn from
 * a truth Rng apart from the bandit's), and the next allocation sees the decayed history.
 */
export function simulate(bandit: Bandit, setup: SimulationSetup): SimulationRun {
  const k = setup.ctr.length;
  const truth = seededRng(setup.seed ^ 0x5eed);
  const rng = seededRng(setup.seed);
  const goal: GoalModel = { kind: 'clicks', cvrBase: 'click' };
  const ineligible = new Set(setup.ineligible ?? []);
  const ids = Array.from({ length: k }, (_, i) => `arm${i}`);
  const history: ArmStats[] = [];
  const shares: number[][] = [];
  let previous: Map<string, number> | undefined;
  for (let t = 0; t < setup.periods; t++) {
    const now = t * HOUR;
    const decayed = decayStats(history, now, setup.halfLifeMs);
    const posteriors = groupPosteriors(
      ids.map((id) => decayed.get(id) ?? EMPTY_STATS),
      goal,
    );
    const arms: BanditArm[] = ids.map((id, i) => ({
      id,
      eligible: !ineligible.has(i),
      posterior: posteriors[i]!,
    }));
    const context: BanditContext = {
      goal,
      objective: 'perSpend',
      previousShares: previous,
      explorationFloor: setup.explorationFloor,
      maxChange: setup.maxChange,
    };
    const out = bandit.allocate(arms, context, rng).shares;
    shares.push(out);
    previous = new Map(ids.map((id, i) => [id, out[i]!]));
    const imps = largestRemainder(setup.impressionsPerPeriod, out);
    for (let i = 0; i < k; i++) {
      const n = imps[i]!;
      let clicks = 0;
      for (let j = 0; j < n; j++) if (truth.next() < setup.ctr[i]!) clicks++;
      history.push({
        armId: ids[i]!,
        periodStartMs: now,
        periodEndMs: now + HOUR,
        impressions: n,
        clicks,
        conversions: 0,
        spendMicros: n * (setup.costMicros?.[i] ?? 1000),
        valueMicros: 0,
      });
    }
  }
  return { shares };
}

/** What a bandit must reach in the convergence run; chosen per algorithm (see bandit.test.ts). */
export interface ContractExpectations {
  /** Share the best arm must hold, averaged over the last 5 of 40 periods. */
  minBestShare: number;
}

const BASE: SimulationSetup = {
  // arm2 is best by a realistic margin: 1.5 % vs 1.2 % CTR at equal cost, 5,000 impressions an hour.
  ctr: [0.01, 0.012, 0.015, 0.011, 0.008],
  periods: 40,
  impressionsPerPeriod: 5000,
  explorationFloor: 0.02,
  maxChange: 0.2,
  halfLifeMs: 12 * HOUR,
  seed: 42,
};

// Clicks per micro: arm1 1.71e-5, arm3 1.1e-5, arm0 1.0e-5, arm2 1.0e-5 (best CTR, worst price), arm4 0.8e-5.
const PRICED = [1000, 700, 1500, 1000, 1000];

const tail = (run: SimulationRun, arm: number, last = 5) =>
  run.shares.slice(-last).reduce((a, s) => a + s[arm]!, 0) / last;

/** The contract every Bandit passes (hono's `common.case` pattern): run it from a `*.test.ts` per implementation. */
export function banditContract(make: () => Bandit, expect_: ContractExpectations, label = make().name): void {
  describe(`bandit contract: ${label}`, () => {
    const run = simulate(make(), BASE);

    it(`converges: the best arm holds ≥ ${expect_.minBestShare} of the budget after 40 periods`, () => {
      expect(tail(run, 2)).toBeGreaterThanOrEqual(expect_.minBestShare);
      for (const other of [0, 1, 3, 4]) expect(tail(run, 2)).toBeGreaterThan(tail(run, other));
    });

    it('ranks by clicks per spend, not per impression: the 1.2 % arm at CPM 0.70 beats the 1.5 % arm at 1.50', () => {
      const priced = simulate(make(), { ...BASE, costMicros: PRICED });
      for (const other of [0, 2, 3, 4]) expect(tail(priced, 1)).toBeGreaterThan(tail(priced, other));
      expect(tail(priced, 1)).toBeGreaterThanOrEqual(expect_.minBestShare);
    });

    it('shares sum to 1 every period and split integer budgets exactly', () => {
      for (const s of run.shares) {
        expect(Math.abs(s.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
        const budget = largestRemainder(123_456_789, s);
        expect(budget.reduce((a, b) => a + b, 0)).toBe(123_456_789);
      }
    });

    it('never starves an eligible arm below the exploration floor', () => {
      for (const s of run.shares)
        for (const x of s) expect(x).toBeGreaterThanOrEqual(BASE.explorationFloor - 1e-12);
    });

    it('honours max-change between consecutive periods', () => {
      for (let t = 1; t < run.shares.length; t++)
        run.shares[t]!.forEach((x, i) => {
          expect(Math.abs(x - run.shares[t - 1]![i]!)).toBeLessThanOrEqual(BASE.maxChange + 1e-12);
        });
    });

    it('never funds an ineligible arm, even the best one, and converges among the rest', () => {
      const r = simulate(make(), { ...BASE, ineligible: [2, 4] });
      for (const s of r.shares) {
        expect(s[2]).toBe(0);
        expect(s[4]).toBe(0);
      }
      expect(tail(r, 1)).toBeGreaterThan(tail(r, 0));
      expect(tail(r, 1)).toBeGreaterThan(tail(r, 3));
    });

    it('is deterministic for a seed', () => {
      const again = simulate(make(), BASE);
      expect(again.shares).toEqual(run.shares);
    });

    it('splits about evenly when no arm has data yet', () => {
      const first = simulate(make(), { ...BASE, periods: 1 }).shares[0]!;
      for (const x of first) {
        expect(x).toBeGreaterThanOrEqual(0.1);
        expect(x).toBeLessThanOrEqual(0.3);
      }
    });
  });
}
