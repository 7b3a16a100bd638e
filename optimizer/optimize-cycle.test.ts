import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { type Allocation, AllocationSchema, ManualClock, seededRng } from '../core/index.ts';
import type { ArmStats } from './arm-stats.ts';
import type { Bandit } from './bandits/bandit.ts';
import { banditRegistry } from './bandits/registry.ts';
import { thompsonBandit } from './bandits/thompson.ts';
import type { CampaignInput } from './optimize-campaign.ts';
import { optimizeAndWrite, optimizeCycle } from './optimize-cycle.ts';
import { type CampaignStats, type StatsReader, variantArmId } from './ports.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 22, 12);
const checkAllocation = Compile(AllocationSchema);

function campaign(id: string, over: Partial<CampaignInput> = {}): CampaignInput {
  return {
    campaignId: id,
    dailyBudgetMicros: 100_000_001,
    bandit: 'thompson',
    goal: { kind: 'clicks', cvrBase: 'click' },
    budgetArms: ['a', 'b', 'c'].map((s) => ({
      armId: `${id}-li:${s}`,
      lineItemId: `${id}-li`,
      segmentId: s,
      status: 'active' as const,
    })),
    creativeGroups: [
      {
        groupId: `${id}-li`,
        variants: ['x', 'y'].map((c) => ({ creativeId: c, status: 'active' as const })),
      },
    ],
    ...over,
  };
}

/** Hourly rows for the last `hours` hours at the given CTRs, 10,000 impressions an arm an hour, CPM 1.00. */
function rows(armIds: readonly string[], ctr: readonly number[], hours = 6): ArmStats[] {
  const out: ArmStats[] = [];
  for (let h = hours; h >= 1; h--) {
    armIds.forEach((armId, i) => {
      out.push({
        armId,
        periodStartMs: NOW - h * HOUR,
        periodEndMs: NOW - (h - 1) * HOUR,
        impressions: 10_000,
        clicks: Math.round(10_000 * ctr[i]!),
        conversions: 0,
        spendMicros: 10_000_000,
        valueMicros: 0,
      });
    });
  }
  return out;
}

function statsFor(c: CampaignInput, ctr: readonly number[] = [0.01, 0.02, 0.04]): CampaignStats {
  return {
    budget: rows(
      c.budgetArms.map((a) => a.armId),
      ctr,
    ),
    creatives: rows(
      c.creativeGroups[0]!.variants.map((v) => variantArmId(c.creativeGroups[0]!.groupId, v.creativeId)),
      [0.03, 0.01],
    ),
  };
}

const reader = (m: Map<string, CampaignStats>): StatsReader => ({ read: async () => m });
const failing: StatsReader = {
  read: async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
  },
};
const opts = (seed = 1) => ({ clock: new ManualClock(NOW), rng: seededRng(seed) });

function previousFor(cs: readonly CampaignInput[], shares: readonly number[]): Allocation {
  const campaigns: Allocation['campaigns'] = {};
  for (const c of cs) {
    campaigns[c.campaignId] = {
      campaignId: c.campaignId,
      dailyBudgetMicros: c.dailyBudgetMicros,
      reason: 'normal',
      note: '',
      budgetArms: c.budgetArms.map((a, i) => ({
        armId: a.armId,
        lineItemId: a.lineItemId,
        share: shares[i]!,
        dailyBudgetMicros: Math.round(c.dailyBudgetMicros * shares[i]!),
      })),
      creativeGroups: [
        {
          groupId: `${c.campaignId}-li`,
          variants: [
            { creativeId: 'x', weight: 0.5 },
            { creativeId: 'y', weight: 0.5 },
          ],
        },
      ],
    };
  }
  return { version: 7, createdAtMs: NOW - HOUR, campaigns };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('optimizeCycle: normal operation', () => {
  const cs = [
    campaign('c1'),
    campaign('c2', { bandit: 'ucb-tuned' }),
    campaign('c3', { bandit: 'epsilon-greedy' }),
  ];
  const stats = new Map(cs.map((c) => [c.campaignId, statsFor(c)]));

  it('writes a schema-valid, versioned document whose budgets sum exactly and weights sum to 1', async () => {
    const r = await optimizeCycle(cs, reader(stats), previousFor(cs, [0.3, 0.3, 0.4]), opts());
    expect(r.issues).toEqual([]);
    expect(checkAllocation.Check(r.allocation)).toBe(true);
    expect(r.allocation.version).toBe(8);
    expect(r.allocation.createdAtMs).toBe(NOW);
    for (const c of cs) {
      const a = r.allocation.campaigns[c.campaignId]!;
      expect(sum(a.budgetArms.map((x) => x.dailyBudgetMicros))).toBe(100_000_001);
      expect(Math.abs(sum(a.budgetArms.map((x) => x.share)) - 1)).toBeLessThan(1e-9);
      expect(Math.abs(sum(a.creativeGroups[0]!.variants.map((v) => v.weight)) - 1)).toBeLessThan(1e-9);
      // The best segment (4 % CTR) gains, held to +20 points by max-change: 0.4 → 0.6.
      expect(a.budgetArms[2]!.share).toBeCloseTo(0.6, 9);
      expect(a.reason).toBe('capped');
      // Variant x (3 % vs 1 %) gains its 20 points too.
      expect(a.creativeGroups[0]!.variants[0]!.weight).toBeCloseTo(0.7, 9);
    }
  });

  it('logs posterior means with 95 % intervals, and the bandit’s own preference', async () => {
    const r = await optimizeCycle(cs, reader(stats), undefined, opts());
    const d = r.decisions[0]!;
    expect(d.reason).toBe('normal');
    expect(d.note).toMatch(/^thompson over 3 budget arms \(3 eligible\)/);
    const best = d.budgetArms[2]!;
    expect(best.posterior.ctr.mean).toBeCloseTo(0.04, 2);
    expect(best.posterior.ctr.lo).toBeLessThan(best.posterior.ctr.mean);
    expect(best.posterior.ctr.hi).toBeGreaterThan(best.posterior.ctr.mean);
    expect(best.posterior.ctr.hi - best.posterior.ctr.lo).toBeLessThan(0.01);
    expect(best.preferredShare).toBe(1);
    // Without a previous allocation only the 2 % floor holds the others.
    expect(best.share).toBeCloseTo(0.96, 9);
  });

  it('is deterministic for a seed', async () => {
    const a = await optimizeCycle(cs, reader(stats), undefined, opts(5));
    const b = await optimizeCycle(cs, reader(stats), undefined, opts(5));
    expect(a.allocation).toEqual(b.allocation);
  });

  it('gives paused, spent-out and cap-missing arms nothing, and says so', async () => {
    const c = campaign('c4', {
      goal: { kind: 'clicks', cvrBase: 'click', capMicros: 60_000 },
      budgetArms: [
        { armId: 'p', lineItemId: 'li', status: 'paused' },
        { armId: 'q', lineItemId: 'li', status: 'active', remainingBudgetMicros: 0 },
        { armId: 'r', lineItemId: 'li', status: 'active' },
        { armId: 's', lineItemId: 'li', status: 'active' },
      ],
    });
    // Cost 1,000 micros an impression: 's' at 1 % CTR costs 100,000 a click, over the 60,000 cap.
    const s: CampaignStats = { budget: rows(['p', 'q', 'r', 's'], [0.05, 0.05, 0.03, 0.01]), creatives: [] };
    const r = await optimizeCycle([c], reader(new Map([['c4', s]])), undefined, opts());
    const a = r.allocation.campaigns.c4!;
    expect(a.budgetArms.map((x) => x.dailyBudgetMicros)).toEqual([0, 0, 100_000_001, 0]);
    expect(a.reason).toBe('capped');
    expect(a.note).toContain('1 arm(s) excluded: cannot meet the goal cap');
    const ex = r.decisions[0]!.budgetArms.map((d) => d.excluded);
    expect(ex[0]).toBe('paused');
    expect(ex[1]).toBe('no budget left');
    expect(ex[3]).toMatch(/above the cap 60000/);
  });
});

describe('optimizeCycle: guardrails and fallback', () => {
  const cs = [campaign('c1'), campaign('c2')];
  const prev = previousFor(cs, [0.5, 0.3, 0.2]);

  it('falls back to the last good allocation when the stats reader throws, and says so', async () => {
    const r = await optimizeCycle(cs, failing, prev, opts());
    expect(r.issues.map((i) => i.code)).toEqual(['OPT_STATS_UNAVAILABLE']);
    for (const c of cs) {
      const a = r.allocation.campaigns[c.campaignId]!;
      expect(a.reason).toBe('fallback');
      expect(a.note).toBe(
        'fallback to last good allocation (v7): stats reader failed: connect ECONNREFUSED 127.0.0.1:8123',
      );
      expect(a.budgetArms.map((x) => x.share)).toEqual([0.5, 0.3, 0.2]);
      expect(a.budgetArms.map((x) => x.dailyBudgetMicros)).toEqual([50_000_001, 30_000_000, 20_000_000]);
      expect(a.creativeGroups[0]!.variants.map((v) => v.weight)).toEqual([0.5, 0.5]);
    }
    expect(r.decisions.every((d) => d.reason === 'fallback')).toBe(true);
  });

  it('falls back to an even split when the reader throws and there is no last good allocation', async () => {
    const r = await optimizeCycle(cs, failing, undefined, opts());
    const a = r.allocation.campaigns.c1!;
    expect(a.note).toBe(
      'fallback to rule: even split: stats reader failed: connect ECONNREFUSED 127.0.0.1:8123',
    );
    expect(a.budgetArms.map((x) => x.dailyBudgetMicros)).toEqual([33_333_334, 33_333_334, 33_333_333]);
  });

  it('falls back to shares proportional to goal efficiency when so configured and there is no last good allocation', async () => {
    const s = statsFor(cs[0]!, [0.01, 0.02, 0.04]);
    // Spend ×20 in the last hour on every arm: an anomaly, and the same cost inflation for all arms.
    const bad = {
      ...s,
      budget: s.budget.map((r) => (r.periodEndMs === NOW ? { ...r, spendMicros: r.spendMicros * 20 } : r)),
    };
    const r = await optimizeCycle([cs[0]!], reader(new Map([['c1', bad]])), undefined, {
      ...opts(),
      optimizer: { fallbackRule: 'efficiency' },
    });
    const a = r.allocation.campaigns.c1!;
    expect(a.note).toMatch(/^fallback to rule: shares proportional to goal efficiency: anomaly: /);
    const shares = a.budgetArms.map((x) => x.share);
    // CTRs 1 : 2 : 4 at equal cost (posterior means are pulled slightly toward the pooled rate).
    expect(shares[1]! / shares[0]!).toBeCloseTo(2, 1);
    expect(shares[2]! / shares[1]!).toBeCloseTo(2, 1);
  });

  it('never funds a paused arm on fallback either', async () => {
    const paused = campaign('c1');
    const arms = paused.budgetArms.map((a, i) => (i === 0 ? { ...a, status: 'paused' as const } : a));
    const r = await optimizeCycle([{ ...paused, budgetArms: arms }], failing, prev, opts());
    const shares = r.allocation.campaigns.c1!.budgetArms.map((x) => x.share);
    expect(shares[0]).toBe(0);
    expect(shares[1]).toBeCloseTo(0.6, 12);
    expect(shares[2]).toBeCloseTo(0.4, 12);
  });

  it.each([
    [
      'a CTR jump ×10',
      (c: CampaignInput): CampaignStats => {
        const s = statsFor(c, [0.01, 0.01, 0.01]);
        // The last hour's rows come last: multiply their clicks by 10.
        const budget = s.budget.map((r) => (r.periodEndMs === NOW ? { ...r, clicks: r.clicks * 10 } : r));
        return { ...s, budget };
      },
      'OPT_ANOMALY',
      /^fallback to last good allocation \(v7\): anomaly: CTR moved ×10\.00 against the previous period \(1\.000 % → 10\.000 %, threshold ×10\)$/,
    ],
    [
      'spend without impressions',
      (c: CampaignInput): CampaignStats => {
        const s = statsFor(c);
        return { ...s, budget: [...s.budget, { ...s.budget[0]!, impressions: 0, clicks: 0 }] };
      },
      'OPT_ANOMALY',
      /anomaly: arm c1-li:a spent 10000000 micros without impressions/,
    ],
    [
      'a spend jump ×20',
      (c: CampaignInput): CampaignStats => {
        const s = statsFor(c);
        const budget = s.budget.map((r) =>
          r.periodEndMs === NOW ? { ...r, spendMicros: r.spendMicros * 20, impressions: r.impressions } : r,
        );
        return { ...s, budget };
      },
      'OPT_ANOMALY',
      /anomaly: spend jumped ×20\.0/,
    ],
    ['no data', (): CampaignStats => ({ budget: [], creatives: [] }), 'OPT_NO_STATS', /: no data$/],
  ])('falls back on %s, for that campaign only', async (_, make, code, note) => {
    const m = new Map([
      ['c1', make(cs[0]!)],
      ['c2', statsFor(cs[1]!)],
    ]);
    const r = await optimizeCycle(cs, reader(m), prev, opts());
    expect(r.issues.map((i) => [i.campaignId, i.code])).toEqual([['c1', code]]);
    const bad = r.allocation.campaigns.c1!;
    expect(bad.reason).toBe('fallback');
    expect(bad.note).toMatch(note);
    expect(bad.budgetArms.map((x) => x.share)).toEqual([0.5, 0.3, 0.2]);
    expect(r.allocation.campaigns.c2!.reason).not.toBe('fallback');
  });

  it('honours max-change exactly against the previous allocation', async () => {
    const m = new Map(cs.map((c) => [c.campaignId, statsFor(c, [0.01, 0.01, 0.08])]));
    const r = await optimizeCycle(cs, reader(m), prev, { ...opts(), optimizer: { maxChange: 0.15 } });
    const shares = r.allocation.campaigns.c1!.budgetArms.map((x) => x.share);
    // Arm c wants everything: it may gain 15 points (0.2 → 0.35); a and b lose from a common level.
    expect(shares[2]).toBeCloseTo(0.35, 12);
    for (let i = 0; i < 3; i++)
      expect(Math.abs(shares[i]! - [0.5, 0.3, 0.2][i]!)).toBeLessThanOrEqual(0.15 + 1e-12);
    expect(r.allocation.campaigns.c1!.reason).toBe('capped');
  });

  it('finishes the other campaigns when one is malformed, names an unknown bandit, or its bandit throws', async () => {
    const boom: Bandit = {
      name: 'boom',
      allocate() {
        throw new Error('kaput');
      },
    };
    const registry = banditRegistry([thompsonBandit(), boom]);
    const list = [
      campaign('bad-input', { budgetArms: [] }),
      campaign('unknown', { bandit: 'softmax' }),
      campaign('throws', { bandit: 'boom' }),
      campaign('ok'),
    ];
    const m = new Map(list.map((c) => [c.campaignId, statsFor(c)]));
    const p = previousFor(list, [0.5, 0.3, 0.2]);
    const r = await optimizeCycle(list, reader(m), p, { ...opts(), registry });
    expect(r.issues.map((i) => [i.campaignId, i.code])).toEqual([
      ['bad-input', 'OPT_INVALID_INPUT'],
      ['unknown', 'OPT_UNKNOWN_BANDIT'],
      ['throws', 'OPT_INTERNAL'],
    ]);
    expect(r.allocation.campaigns.unknown!.reason).toBe('fallback');
    expect(r.allocation.campaigns.unknown!.note).toMatch(
      /^fallback to last good allocation \(v7\): unknown bandit "softmax"/,
    );
    expect(r.allocation.campaigns.throws!.reason).toBe('fallback');
    expect(r.allocation.campaigns.throws!.budgetArms.map((x) => x.share)).toEqual([0.5, 0.3, 0.2]);
    expect(r.allocation.campaigns.ok!.reason).not.toBe('fallback');
    expect(r.decisions).toHaveLength(4);
  });

  it('leaves out a campaign with no eligible arm and reports OPT_NO_ELIGIBLE_ARM', async () => {
    const c = campaign('c1');
    const off = { ...c, budgetArms: c.budgetArms.map((a) => ({ ...a, status: 'paused' as const })) };
    const r = await optimizeCycle(
      [off, cs[1]!],
      reader(new Map(cs.map((x) => [x.campaignId, statsFor(x)]))),
      undefined,
      opts(),
    );
    expect(r.allocation.campaigns.c1).toBeUndefined();
    expect(r.allocation.campaigns.c2).toBeDefined();
    expect(r.issues.map((i) => i.code)).toEqual(['OPT_NO_ELIGIBLE_ARM']);
  });
});

describe('optimizeAndWrite', () => {
  const cs = [campaign('c1')];
  const m = new Map(cs.map((c) => [c.campaignId, statsFor(c)]));

  it('hands the new allocation to the writer', async () => {
    const written: Allocation[] = [];
    const r = await optimizeAndWrite(
      cs,
      reader(m),
      { write: async (a) => void written.push(a) },
      undefined,
      opts(),
    );
    expect(r.written).toBe(true);
    expect(written).toEqual([r.allocation]);
  });

  it('reports a failed write as OPT_WRITE_FAILED instead of throwing', async () => {
    const writer = {
      write: async () => {
        throw new Error('READONLY You can not write against a read only replica.');
      },
    };
    const r = await optimizeAndWrite(cs, reader(m), writer, undefined, opts());
    expect(r.written).toBe(false);
    expect(r.issues.map((i) => i.code)).toEqual(['OPT_WRITE_FAILED']);
  });
});

describe('optimizeCycle: campaigns sharing their advertiser’s daily budget', () => {
  const split: CampaignInput = {
    campaignId: 'adv:a1',
    advertiserId: 'a1',
    dailyBudgetMicros: 10_000_000,
    bandit: 'thompson',
    goal: { kind: 'clicks', cvrBase: 'click' },
    budgetArms: ['c1', 'c2'].map((id) => ({ armId: id, lineItemId: id, status: 'active' as const })),
    creativeGroups: [],
  };
  const member = (id: string, daily: number) =>
    campaign(id, { dailyBudgetMicros: daily, sharedBy: 'a1', creativeGroups: [] });

  it('splits the advertiser budget between its campaigns first, then each campaign splits its share', async () => {
    const c1 = member('c1', 9_000_000);
    const c2 = member('c2', 3_000_000);
    const stats = new Map<string, CampaignStats>([
      // c1 converts clicks four times as well as c2.
      ['adv:a1', { budget: rows(['c1', 'c2'], [0.04, 0.01]), creatives: [] }],
      [
        'c1',
        {
          budget: rows(
            c1.budgetArms.map((a) => a.armId),
            [0.01, 0.02, 0.04],
          ),
          creatives: [],
        },
      ],
      [
        'c2',
        {
          budget: rows(
            c2.budgetArms.map((a) => a.armId),
            [0.01, 0.02, 0.04],
          ),
          creatives: [],
        },
      ],
    ]);
    // Campaigns listed before their advertiser: the cycle orders them itself.
    const r = await optimizeCycle([c2, c1, split], reader(stats), undefined, opts());
    expect(checkAllocation.Check(r.allocation)).toBe(true);
    const shares = r.allocation.advertisers!.a1!;
    expect(shares.dailyBudgetMicros).toBe(10_000_000);
    expect(shares.campaigns.reduce((s, x) => s + x.dailyBudgetMicros, 0)).toBe(10_000_000);
    const byId = new Map(shares.campaigns.map((x) => [x.campaignId, x.dailyBudgetMicros]));
    expect(byId.get('c1')!).toBeGreaterThan(byId.get('c2')!);
    expect(r.allocation.campaigns['adv:a1']).toBeUndefined();
    // Each campaign splits min(own daily budget, its share) between its own arms, to the micro.
    for (const c of [c1, c2]) {
      const own = r.allocation.campaigns[c.campaignId]!;
      expect(own.dailyBudgetMicros).toBe(Math.min(c.dailyBudgetMicros, byId.get(c.campaignId)!));
      expect(own.budgetArms.reduce((s, a) => s + a.dailyBudgetMicros, 0)).toBe(own.dailyBudgetMicros);
    }
    expect(r.decisions.map((d) => d.campaignId)).toEqual(['adv:a1', 'c2', 'c1']);
  });

  it('keeps the last split when the statistics are unavailable, and says so', async () => {
    const first = await optimizeCycle(
      [split],
      reader(new Map([['adv:a1', { budget: rows(['c1', 'c2'], [0.04, 0.01]), creatives: [] }]])),
      undefined,
      opts(),
    );
    const next = await optimizeCycle([split], failing, first.allocation, opts());
    expect(next.allocation.advertisers!.a1!).toMatchObject({
      reason: 'fallback',
      campaigns: first.allocation.advertisers!.a1!.campaigns,
    });
    expect(next.issues.map((i) => i.code)).toContain('OPT_STATS_UNAVAILABLE');
  });
});

describe('optimizeCycle: budgets held to what an arm can spend', () => {
  // Two segments; `a` converts 5× better but its traffic spends 300,000 micros an hour at most
  // (7.2 M a day, every hour of the last two days counted); `b` ran out of its budget at 05:00.
  const c = campaign('k', {
    budgetArms: ['a', 'b'].map((s) => ({
      armId: `k-li:${s}`,
      lineItemId: 'k-li',
      segmentId: s,
      status: 'active' as const,
    })),
    creativeGroups: [],
  });
  const history: ArmStats[] = [];
  for (let h = 48; h >= 1; h--) {
    const start = NOW - h * HOUR;
    const hod = new Date(start).getUTCHours();
    const base = { periodStartMs: start, periodEndMs: start + HOUR, conversions: 0, valueMicros: 0 };
    history.push({ ...base, armId: 'k-li:a', impressions: 300, clicks: 15, spendMicros: 300_000 });
    if (hod < 5)
      history.push({ ...base, armId: 'k-li:b', impressions: 100, clicks: 1, spendMicros: 100_000 });
  }
  const stats = new Map([['k', { budget: history, creatives: [] }]]);
  const cycle = (dailyBudgetMicros: number, previous?: Allocation, seed = 1) =>
    optimizeCycle([{ ...c, dailyBudgetMicros }], reader(stats), previous, opts(seed));

  it('moves what the better arm cannot spend to the other when the campaign under-delivers, and says so', async () => {
    const r = await cycle(10_000_000);
    const arms = r.allocation.campaigns.k!.budgetArms;
    expect(arms[0]!.share).toBeGreaterThan(0.72);
    expect(arms.map((a) => a.dailyBudgetMicros)).toEqual([7_200_000, 2_800_000]);
    expect(r.allocation.campaigns.k!.note).toContain('capacity: k-li:a spends at most ~7200000 micros a day');
    expect(r.decisions[0]!.budgetArms.map((a) => a.dailyBudgetMicros)).toEqual([7_200_000, 2_800_000]);
    expect(checkAllocation.Check(r.allocation)).toBe(true);
  });

  it('keeps the held budgets on the next cycle, when the campaign spends its budget again', async () => {
    const first = await cycle(10_000_000);
    // The campaign spent 7.7 M in the last 24 h; with a budget of 7.8 M it is not under-delivering,
    // but its last allocation held `a` to its capacity: the limit stays.
    const next = await cycle(7_800_000, first.allocation, 2);
    const arms = next.allocation.campaigns.k!.budgetArms;
    expect(arms[0]!.share * 7_800_000).toBeGreaterThan(7_200_000);
    expect(arms.map((a) => a.dailyBudgetMicros)).toEqual([7_200_000, 600_000]);
  });

  it('splits by share alone when the campaign spends its budget', async () => {
    const r = await cycle(7_800_000);
    const k = r.allocation.campaigns.k!;
    expect(k.budgetArms[0]!.dailyBudgetMicros).toBe(Math.round(k.budgetArms[0]!.share * 7_800_000));
    expect(k.budgetArms[0]!.dailyBudgetMicros).toBeGreaterThan(7_200_000);
    expect(k.note).not.toContain('capacity');
  });
});
