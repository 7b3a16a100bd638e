/**
 * One optimizer cycle (`optimizeCycle`) over 1,000 campaigns × 50 segment arms × 10 creative
 * variants (one creative group per campaign), stats from an in-memory reader, by bandit and by
 * Thompson sampler setting. The acceptance target is < 1 s per cycle. Run it alone with
 * `node --import tsx bench/optimizer/cycle.bench.ts [--periods N] [--only <part,part>] [--group-per-segment] [--quick]`.
 *
 * Synthetic stats: N hourly periods per arm (default 8), impressions per arm and period
 * 20,000 × u³ (a long tail of small segments, so both of the sampler's paths run), CTR 0.5–3 %,
 * CVR per click 2–10 %, CPM 0.50–3.00, conversion values 1–50 units. Goals rotate clicks /
 * conversions / value across campaigns, so a Thompson draw is 1, 2 or 3 posterior draws.
 */
import { pathToFileURL } from 'node:url';
import type { Allocation } from '../../core/index.ts';
import { ManualClock, seededRng } from '../../core/index.ts';
import { type ArmStats, decayStats } from '../../optimizer/arm-stats.ts';
import type { Bandit } from '../../optimizer/bandits/bandit.ts';
import { epsilonGreedyBandit } from '../../optimizer/bandits/epsilon-greedy.ts';
import { banditRegistry } from '../../optimizer/bandits/registry.ts';
import { CAPPED_THOMPSON, thompsonBandit } from '../../optimizer/bandits/thompson.ts';
import { ucbTunedBandit } from '../../optimizer/bandits/ucb-tuned.ts';
import type { CampaignInput, GoalInput } from '../../optimizer/optimize-campaign.ts';
import { optimizeCycle } from '../../optimizer/optimize-cycle.ts';
import { type CampaignStats, type StatsReader, variantArmId } from '../../optimizer/ports.ts';
import { fmt, markdownTable } from '../support/table.ts';
import { msPerRun } from '../support/time-loop.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 22, 12);

/** Size of the synthetic population. */
export interface CycleBenchOptions {
  campaigns: number;
  segments: number;
  variants: number;
  periods: number;
  /** Timed runs per case (median reported, after one unmeasured run). */
  runs: number;
  /** Only the cases whose name contains one of these comma-separated parts. */
  only?: string;
  /** One creative group per segment arm (50 × 10 variants a campaign) instead of one per campaign. */
  groupPerSegment?: boolean;
}

/** The acceptance case: 1,000 × 50 × 10, 8 hourly periods, median of 5. */
export const DEFAULT_CYCLE_BENCH: Readonly<CycleBenchOptions> = Object.freeze({
  campaigns: 1000,
  segments: 50,
  variants: 10,
  periods: 8,
  runs: 5,
});

const GOALS: readonly GoalInput[] = [
  { kind: 'clicks', cvrBase: 'click' },
  { kind: 'conversions', cvrBase: 'click' },
  { kind: 'value', cvrBase: 'click' },
];

function population(o: CycleBenchOptions): { campaigns: CampaignInput[]; stats: Map<string, CampaignStats> } {
  const rng = seededRng(2026);
  const r = () => rng.next();
  const campaigns: CampaignInput[] = [];
  const stats = new Map<string, CampaignStats>();
  const rowsFor = (
    armId: string,
    ctr: number,
    cvr: number,
    cpm: number,
    valueUnits: number,
    size: number,
  ) => {
    const out: ArmStats[] = [];
    for (let p = o.periods; p >= 1; p--) {
      const imps = Math.round(size * (0.8 + 0.4 * r()));
      const clicks = Math.round(imps * ctr * (0.8 + 0.4 * r()));
      const conversions = Math.round(clicks * cvr * (0.8 + 0.4 * r()));
      out.push({
        armId,
        periodStartMs: NOW - p * HOUR,
        periodEndMs: NOW - (p - 1) * HOUR,
        impressions: imps,
        clicks,
        conversions,
        spendMicros: Math.round((imps * cpm * 1e6) / 1000),
        valueMicros: Math.round(conversions * valueUnits * 1e6),
      });
    }
    return out;
  };
  for (let c = 0; c < o.campaigns; c++) {
    const id = `cmp${c}`;
    const li = `${id}-li`;
    const budget: ArmStats[] = [];
    const creatives: ArmStats[] = [];
    const budgetArms = Array.from({ length: o.segments }, (_, s) => {
      const armId = `${li}:seg${s}`;
      budget.push(
        ...rowsFor(
          armId,
          0.005 + 0.025 * r(),
          0.02 + 0.08 * r(),
          0.5 + 2.5 * r(),
          1 + 49 * r(),
          20_000 * r() ** 3,
        ),
      );
      return { armId, lineItemId: li, segmentId: `seg${s}`, status: 'active' as const };
    });
    const groupIds = o.groupPerSegment ? budgetArms.map((a) => a.armId) : [li];
    const creativeGroups = groupIds.map((groupId) => ({
      groupId,
      variants: Array.from({ length: o.variants }, (_, v) => {
        const size = (o.groupPerSegment ? 1000 : 50_000) * r();
        creatives.push(
          ...rowsFor(variantArmId(groupId, `cr${v}`), 0.005 + 0.025 * r(), 0.02 + 0.08 * r(), 1.5, 20, size),
        );
        return { creativeId: `cr${v}`, status: 'active' as const };
      }),
    }));
    campaigns.push({
      campaignId: id,
      dailyBudgetMicros: 1_000_000_000 + c,
      bandit: 'bench',
      goal: GOALS[c % GOALS.length]!,
      budgetArms,
      creativeGroups,
    });
    stats.set(id, { budget, creatives });
  }
  return { campaigns, stats };
}

interface Case {
  name: string;
  bandit: () => Bandit;
  /** Daily budgets ×1,000, so that every campaign spent < 98 % of its budget: optimize-campaign computes each arm's capacity (capacity.ts). */
  underDelivering?: boolean;
}

const NO = Number.POSITIVE_INFINITY;
/** Thompson with `draws`, posteriors drawn exactly below `normalAbove` and by the cube from `cubeAbove`, log-normal from `lognormalAbove`, pruning at `pruneSd`. */
const th =
  (draws: number, normalAbove: number, cubeAbove: number, lognormalAbove: number, pruneSd: number) => () =>
    thompsonBandit({ draws, normalAbove, cubeAbove, lognormalAbove, pruneSd, maxExploration: 1 });

const CASES: readonly Case[] = [
  { name: 'ε-greedy (no sampling: baseline)', bandit: () => epsilonGreedyBandit() },
  { name: 'UCB-tuned, 100 virtual pulls', bandit: () => ucbTunedBandit() },
  { name: 'Thompson 100, every posterior exact (stdlib Gamma), no pruning', bandit: th(100, NO, NO, NO, NO) },
  { name: 'Thompson 100, posteriors: normal ≥ 30, exact below, no pruning', bandit: th(100, 30, NO, NO, NO) },
  { name: 'Thompson 100, posteriors: normal ≥ 30, cube ≥ 1, no pruning', bandit: th(100, 30, 1, NO, NO) },
  { name: 'Thompson 100, posteriors: normal always, no pruning', bandit: th(100, 0, 0, NO, NO) },
  { name: 'Thompson 100, posteriors: normal ≥ 30, cube ≥ 1, prune 8 sd', bandit: th(100, 30, 1, NO, 8) },
  { name: 'Thompson 100, log-normal every arm, no pruning', bandit: th(100, 30, 1, 0, NO) },
  { name: 'Thompson 100, log-normal every arm, prune 8 sd (default)', bandit: th(100, 30, 1, 0, 8) },
  {
    name: 'thompson-capped: the row above + 3 % exploration cap',
    bandit: () => thompsonBandit(CAPPED_THOMPSON),
  },
  {
    name: 'thompson-capped, every campaign under-delivering (capacity computed for every arm)',
    bandit: () => thompsonBandit(CAPPED_THOMPSON),
    underDelivering: true,
  },
  { name: 'Thompson 100, log-normal ≥ 30, posteriors below, prune 8 sd', bandit: th(100, 30, 1, 30, 8) },
  { name: 'Thompson 100, log-normal ≥ 3, posteriors below, prune 8 sd', bandit: th(100, 30, 1, 3, 8) },
  { name: 'Thompson 100, log-normal ≥ 5, posteriors below, prune 8 sd', bandit: th(100, 30, 1, 5, 8) },
  {
    name: 'Thompson 100, log-normal ≥ 10, posteriors below, prune 8 sd',
    bandit: th(100, 30, 1, 10, 8),
  },
  { name: 'Thompson 400, log-normal ≥ 10, posteriors below, prune 8 sd', bandit: th(400, 30, 1, 10, 8) },
  // The baseline again, last: if it moved, the machine's load moved during the run.
  { name: 'ε-greedy again (drift check)', bandit: () => epsilonGreedyBandit() },
];

/** Runs the cycle benchmark and returns its markdown section. */
export async function runCycleBench(o: CycleBenchOptions = DEFAULT_CYCLE_BENCH): Promise<string> {
  const t0 = performance.now();
  const { campaigns, stats } = population(o);
  const rows = [...stats.values()].reduce((a, s) => a + s.budget.length + s.creatives.length, 0);
  process.stderr.write(`population: ${fmt(rows)} stats rows built in ${fmt(performance.now() - t0)} ms\n`);
  const reader: StatsReader = { read: async () => stats };
  let previous: Allocation | undefined;

  // Share of Beta draws that take the normal path at the default threshold (α and β ≥ 30).
  let normal = 0;
  let total = 0;
  for (const s of stats.values()) {
    for (const d of decayStats(s.budget, NOW, 24 * HOUR).values()) {
      total++;
      if (d.clicks + 2 >= 30 && d.impressions - d.clicks >= 30) normal++;
    }
  }

  const decayMs = msPerRun(() => {
    for (const s of stats.values()) {
      decayStats(s.budget, NOW, 24 * HOUR);
      decayStats(s.creatives, NOW, 24 * HOUR);
    }
  }, o.runs);

  // Accuracy: the bandit's own budget shares (before guardrails) against a reference of 2,000 exact
  // draws without pruning, as total-variation distance ½·Σ|s − r| averaged over 50 campaigns. At
  // 100 draws Monte Carlo noise alone gives a few points; an approximation should not add much.
  const sample = campaigns.slice(0, 50);
  const preferred = async (bandit: Bandit) => {
    const r = await optimizeCycle(sample, reader, undefined, {
      clock: new ManualClock(NOW),
      rng: seededRng(99),
      registry: banditRegistry([{ ...bandit, name: 'bench' }]),
    });
    return r.decisions.map((d) => d.budgetArms.map((a) => a.preferredShare ?? 0));
  };
  const reference = await preferred(
    thompsonBandit({
      draws: 2000,
      normalAbove: NO,
      cubeAbove: NO,
      lognormalAbove: NO,
      pruneSd: NO,
      maxExploration: 1,
    }),
  );
  const tv = (got: number[][]) =>
    got.reduce(
      (acc, shares, c) => acc + 0.5 * shares.reduce((a, x, i) => a + Math.abs(x - reference[c]![i]!), 0),
      0,
    ) / got.length;

  const table: string[][] = [];
  let base = 0;
  for (const c of CASES) {
    if (o.only !== undefined && !o.only.split(',').some((part) => c.name.includes(part))) continue;
    const registry = banditRegistry([{ ...c.bandit(), name: 'bench' }]);
    const input = c.underDelivering
      ? campaigns.map((x) => ({ ...x, dailyBudgetMicros: x.dailyBudgetMicros * 1000 }))
      : campaigns;
    const once = async () => {
      const r = await optimizeCycle(input, reader, previous, {
        clock: new ManualClock(NOW),
        rng: seededRng(1),
        registry,
      });
      if (r.issues.length > 0)
        throw new Error(`bench cycle had issues: ${r.issues[0]!.code} ${r.issues[0]!.message}`);
      previous ??= r.allocation;
      return r;
    };
    await once();
    const samples: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t = performance.now();
      await once();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const ms = samples[Math.floor(samples.length / 2)]!;
    if (base === 0) base = ms;
    process.stderr.write(
      `${c.name}: ${fmt(ms)} ms (runs ${samples.map((x) => fmt(x)).join(', ')}; heap ${fmt(process.memoryUsage().heapUsed / 1e6)} MB)\n`,
    );
    const acc = c.name.startsWith('Thompson') ? fmt(tv(await preferred(c.bandit())), 3) : '–';
    table.push([c.name, fmt(ms), `${fmt(ms / base, 2)}×`, ms < 1000 ? 'yes' : '**no**', acc]);
  }
  return [
    '### Optimizer: one cycle (`optimizeCycle`)',
    '',
    `${fmt(o.campaigns)} campaigns × ${o.segments} segment arms × ${o.variants} creative variants ${o.groupPerSegment ? `in each of ${o.segments} creative groups (one per segment)` : 'in one creative group'}, ${o.periods} hourly periods per arm (${fmt(rows)} stats rows), in-memory stats reader, previous allocation present (max-change active). Median of ${o.runs} cycles after one unmeasured. Of the budget arms, ${fmt((100 * normal) / total, 0)} % have α, β ≥ 30 (normal path). decayStats alone over all rows: ${fmt(decayMs)} ms.`,
    '',
    markdownTable(['bandit / sampler', 'ms per cycle', 'vs ε-greedy', '< 1 s', 'TV vs reference'], table),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--periods');
  const periods = at >= 0 ? Number(args[at + 1]) : DEFAULT_CYCLE_BENCH.periods;
  const quick = args.includes('--quick');
  const only = args.indexOf('--only');
  const md = await runCycleBench({
    ...DEFAULT_CYCLE_BENCH,
    periods,
    runs: quick ? 1 : DEFAULT_CYCLE_BENCH.runs,
    ...(only >= 0 ? { only: args[only + 1]! } : {}),
    groupPerSegment: args.includes('--group-per-segment'),
  });
  console.log(md);
}
