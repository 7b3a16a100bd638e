import { describe, expect, it } from 'vitest';
import { BanditNameSchema, OutbidError, seededRng } from '../../core/index.ts';
import { banditContract } from './bandit.case.ts';
import type { BanditArm, BanditContext } from './bandit.ts';
import { epsilonGreedyBandit } from './epsilon-greedy.ts';
import { banditRegistry } from './registry.ts';
import { CAPPED_THOMPSON, DEFAULT_THOMPSON, thompsonBandit } from './thompson.ts';
import { ucbTunedBandit } from './ucb-tuned.ts';

// Thresholds differ by the algorithm's nature. 5 arms, floor 2 %, so 92 % is the ceiling. The suite
// runs seed 42; over seeds 1–40 the best arm's tail share was (min / 10th percentile / median):
// Thompson (every arm log-normal) 0.53 / 0.78 / 0.88, with a 3 % exploration cap (thompson-capped,
// the campaigns' default) 0.76 / 0.88 / 0.92, a 5 % cap 0.76 / 0.92 / 0.92, a 10 % cap 0.69 / 0.88 / 0.89, log-normal from 10 0.73 / 0.77 / 0.87,
// posteriors only 0.61 / 0.80 / 0.89 — its share is P(best), which nears 1 once the posteriors separate → 0.7.
// ε-greedy 0.02 / 0.92 / 0.92 — 1 − ε + ε/K to the leader once found, but greedy can lock onto a
// near-tie early and never look back (1 seed in 40) → 0.7, and that failure mode is why it is not the default.
// UCB-tuned 0.48 / 0.54 / 0.63 — it keeps paying optimism to under-sampled arms by design: the bonus
// of an arm at a few percent of traffic stays comparable to a 0.3-point CTR gap → 0.45.
banditContract(() => thompsonBandit(), { minBestShare: 0.7 }, 'thompson (every arm log-normal)');
banditContract(
  () => thompsonBandit(CAPPED_THOMPSON, 'thompson-capped'),
  { minBestShare: 0.7 },
  'thompson-capped (3 % exploration cap)',
);
banditContract(
  () => thompsonBandit({ ...DEFAULT_THOMPSON, lognormalAbove: Number.POSITIVE_INFINITY }),
  { minBestShare: 0.7 },
  'thompson (every arm by its posteriors)',
);
banditContract(
  () => thompsonBandit({ ...DEFAULT_THOMPSON, lognormalAbove: 10 }),
  { minBestShare: 0.7 },
  'thompson (log-normal from 10 pseudo-counts, posteriors below)',
);
banditContract(() => ucbTunedBandit(), { minBestShare: 0.45 });
banditContract(() => epsilonGreedyBandit(), { minBestShare: 0.7 });

describe('thompson-capped: exploration cap', () => {
  // Thin data: b is probably best, but Thompson alone gives a and c far more than 3 % together.
  const arm = (id: string, clicks: number): BanditArm => ({
    id,
    eligible: true,
    posterior: {
      ctr: { alpha: 2 + clicks, beta: 200 + 400 - clicks },
      costPerImpressionMicros: 1000,
      impressions: 400,
    },
  });
  const context: BanditContext = {
    goal: { kind: 'clicks', cvrBase: 'click' },
    objective: 'perSpend',
    previousShares: undefined,
    explorationFloor: 0.02,
    maxChange: 1,
  };
  const arms = [arm('a', 4), arm('b', 9), arm('c', 3)];

  it('gives the other arms at most 3 % together once one wins at least half of the draws', () => {
    const free = thompsonBandit().allocate(arms, context, seededRng(3));
    expect(free.shares[1]!).toBeGreaterThan(0.5);
    expect(free.shares[1]!).toBeLessThan(0.85);
    const capped = thompsonBandit(CAPPED_THOMPSON).allocate(arms, context, seededRng(3));
    // The bandit's own shares: the leader 97 %, the others 3 % in Thompson's proportions…
    const preferred = capped.preferred.map((x) => x / capped.preferred.reduce((a, b) => a + b, 0));
    expect(preferred[1]!).toBeCloseTo(0.97, 9);
    expect(preferred[0]! + preferred[2]!).toBeCloseTo(0.03, 9);
    expect(preferred[0]! / preferred[2]!).toBeCloseTo(free.preferred[0]! / free.preferred[2]!, 9);
    // …then the guardrails' 2 % floor (each of the two others is raised to it).
    expect(capped.shares[1]!).toBeCloseTo(0.96, 9);
    for (const i of [0, 2]) expect(capped.shares[i]!).toBeGreaterThanOrEqual(0.02);
  });

  it('leaves Thompson’s shares alone when no arm wins half of the draws (near ties, no data yet)', () => {
    const close = [arm('a', 4), arm('b', 5), arm('c', 4)];
    const capped = thompsonBandit(CAPPED_THOMPSON).allocate(close, context, seededRng(3));
    const free = thompsonBandit().allocate(close, context, seededRng(3));
    expect(Math.max(...free.shares)).toBeLessThan(0.5);
    expect(capped.shares).toEqual(free.shares);
  });

  it('leaves Thompson’s shares alone when the runners-up are already under the cap', () => {
    const sure = [
      arm('a', 1),
      { ...arm('b', 60), posterior: { ...arm('b', 60).posterior, ctr: { alpha: 6002, beta: 94_000 } } },
    ];
    const capped = thompsonBandit(CAPPED_THOMPSON).allocate(sure, context, seededRng(3));
    const free = thompsonBandit().allocate(sure, context, seededRng(3));
    expect(capped.shares).toEqual(free.shares);
    expect(capped.shares[1]!).toBeCloseTo(0.98, 9);
  });
});

describe('banditRegistry', () => {
  it('finds the default bandits by name and rejects an unknown one with OPT_UNKNOWN_BANDIT', () => {
    const r = banditRegistry();
    expect(r.names()).toEqual(['thompson', 'ucb-tuned', 'epsilon-greedy', 'thompson-capped']);
    expect(r.get('thompson-capped').name).toBe('thompson-capped');
    expect(r.get('ucb-tuned').name).toBe('ucb-tuned');
    try {
      r.get('softmax');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OutbidError);
      expect((e as OutbidError).code).toBe('OPT_UNKNOWN_BANDIT');
    }
  });

  it('has a bandit for every name the campaign model accepts, and no other', () => {
    expect(banditRegistry().names().sort()).toEqual(BanditNameSchema.anyOf.map((x) => x.const).sort());
  });

  it('refuses two bandits with one name', () => {
    expect(() => banditRegistry([thompsonBandit(), thompsonBandit()])).toThrow(RangeError);
  });
});
