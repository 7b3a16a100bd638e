import type { AdvertiserAllocation, Allocation, CampaignAllocation } from '../core/index.ts';
import { type Clock, errorFrom, type OutbidError, type Rng } from '../core/index.ts';
import { type BanditRegistry, banditRegistry as defaultRegistry } from './bandits/registry.ts';
import { OptimizerErrors } from './errors.ts';
import {
  type CampaignDecision,
  type CampaignInput,
  DEFAULT_OPTIMIZER_OPTIONS,
  type OptimizerIssue,
  type OptimizerOptions,
  optimizeCampaign,
} from './optimize-campaign.ts';
import type { AllocationWriter, CampaignStats, StatsReader } from './ports.ts';

/** What a cycle needs besides its campaigns: time, randomness, bandits and tuning. */
export interface CycleOptions {
  clock: Clock;
  rng: Rng;
  /** Defaults to Thompson, UCB-tuned and ε-greedy. */
  registry?: BanditRegistry;
  /** How far back the stats reader looks (default 7 days; with a 24 h half-life older data weighs < 1 %). */
  windowMs?: number;
  optimizer?: Partial<OptimizerOptions>;
}

/** A cycle's output: the new allocation document, one decision per campaign, and every issue met. */
export interface CycleResult {
  allocation: Allocation;
  decisions: CampaignDecision[];
  /** Per-campaign issues, plus OPT_STATS_UNAVAILABLE (campaignId `*`) when the reader failed. */
  issues: OptimizerIssue[];
}

const WEEK_MS = 7 * 24 * 3_600_000;

/**
 * One optimizer cycle over many campaigns. One bad campaign never blocks the others: its issues
 * are collected, it falls back (or is left out when nothing may be funded), and the rest finish. A
 * campaign that fails outright keeps its previous allocation, marked as a fallback. The stats
 * reader failing makes every campaign fall back to its last good allocation (or the rule).
 */
export async function optimizeCycle(
  campaigns: readonly CampaignInput[],
  reader: StatsReader,
  previous: Allocation | undefined,
  options: CycleOptions,
): Promise<CycleResult> {
  const nowMs = options.clock.now();
  const opts: OptimizerOptions = { ...DEFAULT_OPTIMIZER_OPTIONS, ...options.optimizer };
  const registry = options.registry ?? defaultRegistry();
  const issues: OptimizerIssue[] = [];
  let stats: ReadonlyMap<string, CampaignStats> | undefined;
  let statsFailure: OutbidError | undefined;
  try {
    stats = await reader.read(campaigns, { sinceMs: nowMs - (options.windowMs ?? WEEK_MS), untilMs: nowMs });
  } catch (e) {
    statsFailure = errorFrom(
      OptimizerErrors.OPT_STATS_UNAVAILABLE,
      e instanceof Error ? e.message : String(e),
      e,
    );
    issues.push({ campaignId: '*', code: 'OPT_STATS_UNAVAILABLE', message: statsFailure.message, cause: e });
  }

  const out: Record<string, CampaignAllocation> = {};
  const advertisers: Record<string, AdvertiserAllocation> = {};
  const decisions: CampaignDecision[] = [];
  // Advertisers' splits first: they set the daily budgets their campaigns then split.
  const ordered = [
    ...campaigns.filter((c) => c.advertiserId !== undefined),
    ...campaigns.filter((c) => c.advertiserId === undefined),
  ];
  for (const input of ordered) {
    const c = withSharedBudget(input, advertisers);
    const prev =
      c.advertiserId === undefined
        ? previous?.campaigns[c.campaignId]
        : asCampaignAllocation(c.campaignId, previous?.advertisers?.[c.advertiserId]);
    try {
      const ctx = { nowMs, rng: options.rng, registry, options: opts };
      const r = optimizeCampaign(c, stats?.get(c.campaignId), prev, {
        ...ctx,
        ...(statsFailure === undefined ? {} : { statsFailure }),
        ...(previous === undefined ? {} : { previousVersion: previous.version }),
      });
      if (r.allocation !== undefined) {
        if (c.advertiserId === undefined) out[c.campaignId] = r.allocation;
        else advertisers[c.advertiserId] = asAdvertiserAllocation(c.advertiserId, r.allocation);
      }
      decisions.push(r.decision);
      issues.push(...r.decision.issues);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const issue: OptimizerIssue = { campaignId: c.campaignId, code: 'OPT_INTERNAL', message, cause: e };
      issues.push(issue);
      const note = `fallback to the previous allocation as it was: internal error (${message})`;
      if (prev !== undefined) {
        const kept: CampaignAllocation = { ...prev, reason: 'fallback', note };
        if (c.advertiserId === undefined) out[c.campaignId] = kept;
        else advertisers[c.advertiserId] = asAdvertiserAllocation(c.advertiserId, kept);
      }
      decisions.push({
        campaignId: c.campaignId,
        bandit: c.bandit,
        reason: 'fallback',
        note: prev === undefined ? `left out: internal error (${message})` : note,
        issues: [issue],
        budgetArms: [],
        creativeGroups: [],
      });
    }
  }
  return {
    allocation: {
      version: (previous?.version ?? 0) + 1,
      createdAtMs: nowMs,
      campaigns: out,
      ...(Object.keys(advertisers).length > 0 && { advertisers }),
    },
    decisions,
    issues,
  };
}

/**
 * A campaign whose budget its advertiser shares splits the lower of its own daily budget and the
 * share this cycle gave it (what the bidder will let it spend); unchanged when the split has no
 * share for it (the split fell back and was left out: the campaign's own budget stands).
 */
function withSharedBudget(
  c: CampaignInput,
  advertisers: Readonly<Record<string, AdvertiserAllocation>>,
): CampaignInput {
  if (c.sharedBy === undefined) return c;
  const share = advertisers[c.sharedBy]?.campaigns.find((s) => s.campaignId === c.campaignId);
  if (share === undefined) return c;
  return { ...c, dailyBudgetMicros: Math.min(c.dailyBudgetMicros, share.dailyBudgetMicros) };
}

/** An advertiser's split as the optimizer computes it: a campaign allocation whose arms are campaigns. */
function asCampaignAllocation(
  id: string,
  a: AdvertiserAllocation | undefined,
): CampaignAllocation | undefined {
  if (a === undefined) return undefined;
  return {
    campaignId: id,
    dailyBudgetMicros: a.dailyBudgetMicros,
    reason: a.reason,
    note: a.note,
    budgetArms: a.campaigns.map((s) => ({
      armId: s.campaignId,
      lineItemId: s.campaignId,
      share: s.share,
      dailyBudgetMicros: s.dailyBudgetMicros,
    })),
    creativeGroups: [],
  };
}

function asAdvertiserAllocation(advertiserId: string, a: CampaignAllocation): AdvertiserAllocation {
  return {
    advertiserId,
    dailyBudgetMicros: a.dailyBudgetMicros,
    reason: a.reason,
    note: a.note,
    campaigns: a.budgetArms.map((arm) => ({
      campaignId: arm.armId,
      share: arm.share,
      dailyBudgetMicros: arm.dailyBudgetMicros,
    })),
  };
}

/** A cycle's result plus whether its allocation reached the writer. */
export interface WrittenCycle extends CycleResult {
  /** False when the writer failed: bidders still serve `previous`, so the caller must keep passing that as the last good allocation. */
  written: boolean;
}

/**
 * Runs a cycle and writes its allocation. A write failure is reported as OPT_WRITE_FAILED in the
 * issues instead of thrown, so a scheduler logs it and tries again next period from the same
 * `previous` (which is still what bidders serve).
 */
export async function optimizeAndWrite(
  campaigns: readonly CampaignInput[],
  reader: StatsReader,
  writer: AllocationWriter,
  previous: Allocation | undefined,
  options: CycleOptions,
): Promise<WrittenCycle> {
  const result = await optimizeCycle(campaigns, reader, previous, options);
  try {
    await writer.write(result.allocation);
    return { ...result, written: true };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      ...result,
      written: false,
      issues: [...result.issues, { campaignId: '*', code: 'OPT_WRITE_FAILED', message, cause: e }],
    };
  }
}
