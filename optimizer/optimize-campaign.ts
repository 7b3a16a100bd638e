import type {
  AllocationReason,
  CampaignAllocation,
  CreativeGroupAllocation,
  OutbidError,
  Rng,
} from '../core/index.ts';
import { type AnomalyOptions, DEFAULT_ANOMALY, detectAnomaly } from './anomaly.ts';
import { type ArmStats, type DecayedStats, decayStats, EMPTY_STATS } from './arm-stats.ts';
import type { Bandit, BanditArm, BanditContext } from './bandits/bandit.ts';
import type { BanditRegistry } from './bandits/registry.ts';
import { type CapacityFit, dailyCapacity, fitToCapacity } from './capacity.ts';
import type { OptimizerErrorCode } from './errors.ts';
import { applyGuardrails, type GuardrailOptions } from './guardrails.ts';
import { largestRemainder } from './largest-remainder.ts';
import { type CampaignStats, variantArmId } from './ports.ts';
import {
  type ArmPosterior,
  DEFAULT_PRIOR,
  type GoalModel,
  groupPosteriors,
  meanUnitsPerImpression,
  type PosteriorSummary,
  type PriorOptions,
  summarizePosterior,
} from './posterior.ts';
import { DEFAULT_VALUE_MODEL, type ValueModelOptions, valuePriors } from './value-model.ts';

/** Lifecycle of an arm as the optimizer sees it; only `active` arms can be funded. */
export type ArmStatus = 'active' | 'paused' | 'archived';

/** A budget arm of a campaign: a line item, or one segment of a line item. */
export interface BudgetArmInput {
  /** Line item id, or `${lineItemId}:${segmentId}`; the key of its stats rows. */
  armId: string;
  lineItemId: string;
  segmentId?: string;
  status: ArmStatus;
  /** Budget the arm may still spend today (e.g. the line item's own cap); 0 makes it ineligible, absent means no limit of its own. */
  remainingBudgetMicros?: number;
  /** Numeric segment features (one-hot attributes, audience size…) for the value model (value-model.ts). */
  features?: readonly number[];
}

/** A group of creative variants whose serving weights the optimizer sets (typically one line item's creatives). */
export interface CreativeGroupInput {
  groupId: string;
  variants: readonly { creativeId: string; status: ArmStatus }[];
}

/** A campaign's goal and optional cap. */
export interface GoalInput extends GoalModel {
  /** CPC cap (clicks goal) or CPA cap (conversions goal) in micros, or the minimum ROAS × 1e6 (value goal). */
  capMicros?: number;
}

/** Everything the optimizer needs to know about one campaign. */
export interface CampaignInput {
  /** The campaign id; `adv:<advertiserId>` for an advertiser's split between its campaigns. */
  campaignId: string;
  dailyBudgetMicros: number;
  /**
   * Set on an advertiser's split (`advertiser.optimizer.shareDailyBudget`): its budget arms are the
   * advertiser's campaigns (arm id and lineItemId = the campaign id), its statistics each campaign's
   * totals, its output `allocation.advertisers[advertiserId]`.
   */
  advertiserId?: string;
  /**
   * Set on a campaign whose daily budget comes from its advertiser's split (that advertiser's id):
   * the cycle splits min(`dailyBudgetMicros`, the campaign's share) between its arms, as the bidder spends.
   */
  sharedBy?: string;
  /** Name of the bandit in the registry (`thompson`, `ucb-tuned`, `epsilon-greedy`). */
  bandit: string;
  goal: GoalInput;
  budgetArms: readonly BudgetArmInput[];
  creativeGroups: readonly CreativeGroupInput[];
}

/** Tuning of a cycle, shared by its campaigns. */
export interface OptimizerOptions extends GuardrailOptions {
  /** Half-life of the exponential decay of statistics. */
  halfLifeMs: number;
  anomaly: AnomalyOptions;
  /** The rule used when there is no last good allocation to fall back to. */
  fallbackRule: 'even' | 'efficiency';
  prior: PriorOptions;
  /** Value goals: learn value-per-conversion priors from segment features; `false` keeps the pooled prior. */
  valueModel: ValueModelOptions | false;
}

/** Defaults: 24 h half-life, 2 % floor, ±20 points per cycle, ×10 anomaly thresholds, even-split fallback. */
export const DEFAULT_OPTIMIZER_OPTIONS: Readonly<OptimizerOptions> = Object.freeze({
  halfLifeMs: 24 * 3_600_000,
  explorationFloor: 0.02,
  maxChange: 0.2,
  anomaly: DEFAULT_ANOMALY,
  fallbackRule: 'even',
  prior: DEFAULT_PRIOR,
  valueModel: DEFAULT_VALUE_MODEL,
});

const DAY_MS = 86_400_000;

/** A problem with one campaign, collected instead of thrown so the rest of the cycle finishes. */
export interface OptimizerIssue {
  campaignId: string;
  code: OptimizerErrorCode;
  message: string;
  cause?: unknown;
}

/** What the decision log keeps for one arm. */
export interface ArmDecision {
  armId: string;
  eligible: boolean;
  /** Why an arm got nothing: paused, out of budget, cap unreachable. */
  excluded?: string;
  stats: DecayedStats;
  posterior: PosteriorSummary;
  /** The bandit's own share before the guardrails; absent on fallback. */
  preferredShare?: number;
  share: number;
  /** Budget arms only. */
  dailyBudgetMicros?: number;
}

/** The decision-log entry of one campaign. */
export interface CampaignDecision {
  campaignId: string;
  bandit: string;
  reason: AllocationReason;
  note: string;
  issues: OptimizerIssue[];
  budgetArms: ArmDecision[];
  creativeGroups: { groupId: string; variants: ArmDecision[] }[];
}

/** What one campaign's optimization produced; `allocation` is absent when no arm may be funded. */
export interface CampaignOutcome {
  allocation?: CampaignAllocation;
  decision: CampaignDecision;
}

/** The per-cycle context of one campaign. */
export interface CampaignContext {
  nowMs: number;
  rng: Rng;
  registry: BanditRegistry;
  options: OptimizerOptions;
  /** The stats reader's failure, when it failed for the whole cycle. */
  statsFailure?: OutbidError;
  /** Version of the allocation `previous` comes from, for the note. */
  previousVersion?: number;
}

interface Group {
  arms: BanditArm[];
  stats: DecayedStats[];
  posteriors: ArmPosterior[];
  excluded: (string | undefined)[];
}

/**
 * Optimizes one campaign: eligibility, decayed stats, posteriors, anomaly checks, the campaign's
 * bandit for its budget arms and each creative group, then integer budgets. Anything wrong falls
 * back (last good allocation, else the rule) and says why; it never throws for bad data.
 */
export function optimizeCampaign(
  input: CampaignInput,
  stats: CampaignStats | undefined,
  previous: CampaignAllocation | undefined,
  ctx: CampaignContext,
): CampaignOutcome {
  const { options } = ctx;
  const issues: OptimizerIssue[] = [];
  const issue = (code: OptimizerErrorCode, message: string, cause?: unknown) => {
    const i: OptimizerIssue = { campaignId: input.campaignId, code, message };
    if (cause !== undefined) i.cause = cause;
    issues.push(i);
  };
  const base = { campaignId: input.campaignId, bandit: input.bandit, issues };

  const invalid = inputProblem(input);
  if (invalid !== undefined) {
    issue('OPT_INVALID_INPUT', invalid);
    const decision: CampaignDecision = {
      ...base,
      reason: 'fallback',
      note: `invalid input: ${invalid}`,
      budgetArms: [],
      creativeGroups: [],
    };
    // Nothing about the arms can be trusted: serve the last good allocation as it was, if any.
    return previous === undefined
      ? { decision }
      : { allocation: { ...previous, reason: 'fallback', note: decision.note }, decision };
  }

  // Fallback causes, in order of precedence; the first one found is the one the note gives.
  let fallbackWhy: string | undefined;
  let bandit: Bandit | undefined;
  try {
    bandit = ctx.registry.get(input.bandit);
  } catch (e) {
    issue('OPT_UNKNOWN_BANDIT', (e as Error).message, e);
    fallbackWhy = `unknown bandit "${input.bandit}"`;
  }
  if (ctx.statsFailure !== undefined) {
    fallbackWhy ??= `stats reader failed: ${ctx.statsFailure.message}`;
  } else {
    const rows = stats?.budget ?? [];
    const anomaly = detectAnomaly(rows, options.anomaly);
    if (anomaly !== undefined) {
      issue(anomaly.kind === 'no-data' ? 'OPT_NO_STATS' : 'OPT_ANOMALY', anomaly.note);
      fallbackWhy ??= anomaly.kind === 'no-data' ? 'no data' : `anomaly: ${anomaly.note}`;
    }
  }
  const goal: GoalModel = { kind: input.goal.kind, cvrBase: input.goal.cvrBase };

  // Decay once per campaign, not once per group: a campaign may have a creative group per segment.
  const decay = (rows: readonly ArmStats[] | undefined) =>
    rows === undefined ? undefined : decayStats(rows, ctx.nowMs, options.halfLifeMs);
  const budgetDecayed = decay(stats?.budget);
  const creativeDecayed = decay(stats?.creatives);
  const budgetGroup = buildGroup(
    input.budgetArms.map((a) => a.armId),
    budgetDecayed,
    ctx,
    goal,
    input.budgetArms.map((a) => {
      if (a.status !== 'active') return a.status;
      if (a.remainingBudgetMicros !== undefined && a.remainingBudgetMicros <= 0) return 'no budget left';
      return undefined;
    }),
    goal.kind === 'value' &&
      options.valueModel !== false &&
      input.budgetArms.some((a) => a.features !== undefined)
      ? input.budgetArms.map((a) => a.features)
      : undefined,
  );
  let capExcluded = 0;
  if (input.goal.capMicros !== undefined && fallbackWhy === undefined) {
    budgetGroup.arms.forEach((arm, i) => {
      if (!arm.eligible) return;
      const why = capUnreachable(budgetGroup.posteriors[i]!, budgetGroup.stats[i]!, input.goal);
      if (why !== undefined) {
        arm.eligible = false;
        budgetGroup.excluded[i] = why;
        capExcluded++;
      }
    });
  }
  if (!budgetGroup.arms.some((a) => a.eligible)) {
    issue('OPT_NO_ELIGIBLE_ARM', 'no budget arm is active, has budget left and can meet the cap');
    const decision: CampaignDecision = {
      ...base,
      reason: capExcluded > 0 ? 'capped' : 'fallback',
      note: 'no eligible budget arm: the campaign is left out of the allocation and gets no optimizer budget',
      budgetArms: armDecisions(budgetGroup, goal, undefined, undefined),
      creativeGroups: [],
    };
    return { decision };
  }

  const prevBudget =
    previous === undefined ? undefined : new Map(previous.budgetArms.map((a) => [a.armId, a.share]));
  const FALLBACK_NOTES = {
    previous: `last good allocation${ctx.previousVersion === undefined ? '' : ` (v${ctx.previousVersion})`}`,
    efficiency: 'rule: shares proportional to goal efficiency',
    even: 'rule: even split',
  } as const;

  const allocateGroup = (
    g: Group,
    prevShares: ReadonlyMap<string, number> | undefined,
    objective: BanditContext['objective'],
  ) => {
    if (fallbackWhy !== undefined || bandit === undefined) {
      const f = fallbackShares(g, prevShares, goal, objective, options);
      return { shares: f.shares, source: f.source, preferred: undefined, capped: false, relaxed: false };
    }
    const context: BanditContext = {
      goal,
      objective,
      previousShares: prevShares,
      explorationFloor: options.explorationFloor,
      maxChange: options.maxChange,
    };
    return { ...bandit.allocate(g.arms, context, ctx.rng), source: undefined };
  };

  const budget = allocateGroup(budgetGroup, prevBudget, 'perSpend');
  let budgets = largestRemainder(input.dailyBudgetMicros, budget.shares);
  let capacityNote: string | undefined;
  if (fallbackWhy === undefined && bandit !== undefined && stats !== undefined) {
    const fit = capacityFit(input, stats.budget, budgets, budgetGroup, previous, ctx.nowMs);
    if (fit !== undefined && fit.movedMicros > 0) {
      budgets = fit.budgets;
      capacityNote = `capacity: ${fit.limited.map((i) => `${input.budgetArms[i]!.armId} spends at most ~${fit.capacity[i]} micros a day`).join(', ')}; ${fit.movedMicros} micros moved to the other arms`;
    }
  }
  let cappedGroups = budget.capped ? 1 : 0;
  let relaxedGroups = budget.relaxed ? 1 : 0;

  const prevGroups =
    previous === undefined ? undefined : new Map(previous.creativeGroups.map((g) => [g.groupId, g]));
  const creativeGroups: CreativeGroupAllocation[] = [];
  const creativeDecisions: CampaignDecision['creativeGroups'] = [];
  for (const cg of input.creativeGroups) {
    const g = buildGroup(
      cg.variants.map((v) => variantArmId(cg.groupId, v.creativeId)),
      creativeDecayed,
      ctx,
      goal,
      cg.variants.map((v) => (v.status === 'active' ? undefined : v.status)),
    );
    if (!g.arms.some((a) => a.eligible)) {
      issue('OPT_NO_ELIGIBLE_ARM', `creative group ${cg.groupId} has no active variant`);
      creativeDecisions.push({ groupId: cg.groupId, variants: armDecisions(g, goal, undefined, undefined) });
      continue;
    }
    const prevGroup = prevGroups?.get(cg.groupId);
    const prevWeights =
      prevGroup === undefined
        ? undefined
        : new Map(prevGroup.variants.map((v) => [variantArmId(cg.groupId, v.creativeId), v.weight]));
    const r = allocateGroup(g, prevWeights, 'perImpression');
    if (r.capped) cappedGroups++;
    if (r.relaxed) relaxedGroups++;
    creativeGroups.push({
      groupId: cg.groupId,
      variants: cg.variants.map((v, i) => ({ creativeId: v.creativeId, weight: r.shares[i]! })),
    });
    creativeDecisions.push({ groupId: cg.groupId, variants: armDecisions(g, goal, r.preferred, r.shares) });
  }

  let reason: AllocationReason;
  let note: string;
  if (fallbackWhy !== undefined || bandit === undefined) {
    reason = 'fallback';
    note = `fallback to ${FALLBACK_NOTES[budget.source ?? options.fallbackRule]}: ${fallbackWhy ?? 'no bandit'}`;
  } else {
    const parts = [
      `${bandit.name} over ${budgetGroup.arms.length} budget arms (${budgetGroup.arms.filter((a) => a.eligible).length} eligible)`,
    ];
    if (creativeGroups.length > 0) parts.push(`${creativeGroups.length} creative groups`);
    if (cappedGroups > 0) parts.push(`max-change held back ${cappedGroups} group(s)`);
    if (capExcluded > 0) parts.push(`${capExcluded} arm(s) excluded: cannot meet the goal cap`);
    if (capacityNote !== undefined) parts.push(capacityNote);
    if (relaxedGroups > 0)
      parts.push(`max-change loosened in ${relaxedGroups} group(s) to fund only eligible arms`);
    reason = cappedGroups > 0 || capExcluded > 0 ? 'capped' : 'normal';
    note = parts.join('; ');
  }

  const allocation: CampaignAllocation = {
    campaignId: input.campaignId,
    dailyBudgetMicros: input.dailyBudgetMicros,
    reason,
    note,
    budgetArms: input.budgetArms.map((a, i) => {
      const out: CampaignAllocation['budgetArms'][number] = {
        armId: a.armId,
        lineItemId: a.lineItemId,
        share: budget.shares[i]!,
        dailyBudgetMicros: budgets[i]!,
      };
      if (a.segmentId !== undefined) out.segmentId = a.segmentId;
      return out;
    }),
    creativeGroups,
  };
  const budgetDecisions = armDecisions(budgetGroup, goal, budget.preferred, budget.shares);
  budgetDecisions.forEach((d, i) => {
    d.dailyBudgetMicros = budgets[i]!;
  });
  return {
    allocation,
    decision: { ...base, reason, note, budgetArms: budgetDecisions, creativeGroups: creativeDecisions },
  };
}

/** A campaign that spent this share of its daily budget or less over the last 24 h is under-delivering. */
const UNDERSPEND = 0.98;

/**
 * Budgets held to each arm's measured daily capacity (capacity.ts), when the campaign is
 * under-delivering (it spent < 98 % of its daily budget over the last 24 h) or its previous
 * allocation was already held so (else the limits would lift the day after they work).
 * Undefined when neither holds.
 */
function capacityFit(
  input: CampaignInput,
  rows: readonly ArmStats[],
  budgets: readonly number[],
  g: Group,
  previous: CampaignAllocation | undefined,
  nowMs: number,
): (CapacityFit & { capacity: (number | undefined)[] }) | undefined {
  let recent = 0;
  for (const r of rows) if (r.periodEndMs > nowMs - DAY_MS && r.periodEndMs <= nowMs) recent += r.spendMicros;
  const held =
    previous?.budgetArms.some((a) => a.dailyBudgetMicros + 1 < a.share * previous.dailyBudgetMicros) ?? false;
  if (!held && recent >= UNDERSPEND * input.dailyBudgetMicros) return undefined;
  const capacity = dailyCapacity(
    rows,
    input.budgetArms.map((a) => a.armId),
    nowMs,
  );
  return {
    ...fitToCapacity(
      budgets,
      capacity,
      g.arms.map((a) => a.eligible),
    ),
    capacity,
  };
}

function inputProblem(input: CampaignInput): string | undefined {
  if (!Number.isSafeInteger(input.dailyBudgetMicros) || input.dailyBudgetMicros < 0)
    return `dailyBudgetMicros must be a non-negative integer, got ${input.dailyBudgetMicros}`;
  if (input.budgetArms.length === 0) return 'no budget arms';
  const ids = new Set(input.budgetArms.map((a) => a.armId));
  if (ids.size !== input.budgetArms.length) return 'duplicate budget arm ids';
  for (const g of input.creativeGroups) {
    if (new Set(g.variants.map((v) => v.creativeId)).size !== g.variants.length)
      return `duplicate creative ids in group ${g.groupId}`;
  }
  return undefined;
}

function buildGroup(
  ids: readonly string[],
  decayed: ReadonlyMap<string, DecayedStats> | undefined,
  ctx: CampaignContext,
  goal: GoalModel,
  excluded: (string | undefined)[],
  features?: readonly (readonly number[] | undefined)[],
): Group {
  const stats = ids.map((id) => decayed?.get(id) ?? EMPTY_STATS);
  const { valueModel } = ctx.options;
  const priors =
    features === undefined || valueModel === false ? undefined : valuePriors(stats, features, valueModel);
  const posteriors = groupPosteriors(stats, goal, ctx.options.prior, priors);
  const arms = ids.map((id, i) => ({ id, eligible: excluded[i] === undefined, posterior: posteriors[i]! }));
  return { arms, stats, posteriors, excluded };
}

/**
 * Why an arm cannot meet the campaign's cap even optimistically: at its observed cost per
 * impression, the top of the 95 % interval of its goal rate still gives a cost per unit above the
 * CPC/CPA cap (or a ROAS below the minimum). Arms without impressions are given the benefit of the doubt.
 */
function capUnreachable(p: ArmPosterior, s: DecayedStats, goal: GoalInput): string | undefined {
  if (goal.capMicros === undefined || s.impressions <= 0 || s.spendMicros <= 0) return undefined;
  const sum = summarizePosterior(p, goal);
  let best = sum.ctr.hi;
  if (goal.kind !== 'clicks') {
    const cvrHi = sum.cvr?.hi ?? 0;
    best = goal.cvrBase === 'click' ? best * cvrHi : cvrHi;
  }
  const cost = p.costPerImpressionMicros;
  if (goal.kind === 'value') {
    const roasMicros = best > 0 ? ((best * (sum.valuePerConversionMicros?.hi ?? 0)) / cost) * 1e6 : 0;
    return roasMicros < goal.capMicros
      ? `best-case ROAS ${(roasMicros / 1e6).toFixed(2)} is below the minimum ${(goal.capMicros / 1e6).toFixed(2)}`
      : undefined;
  }
  const perUnit = best > 0 ? cost / best : Number.POSITIVE_INFINITY;
  return perUnit > goal.capMicros
    ? `best-case cost per ${goal.kind === 'clicks' ? 'click' : 'conversion'} ${Math.round(perUnit)} micros is above the cap ${goal.capMicros}`
    : undefined;
}

function fallbackShares(
  g: Group,
  prevShares: ReadonlyMap<string, number> | undefined,
  goal: GoalModel,
  objective: BanditContext['objective'],
  options: OptimizerOptions,
): { shares: number[]; source: 'previous' | 'efficiency' | 'even' } {
  let raw: number[];
  let source: 'previous' | 'efficiency' | 'even';
  const prev =
    prevShares === undefined ? undefined : g.arms.map((a) => (a.eligible ? (prevShares.get(a.id) ?? 0) : 0));
  if (prev?.some((x) => x > 0)) {
    raw = prev;
    source = 'previous';
  } else if (options.fallbackRule === 'efficiency') {
    raw = g.arms.map((a) => {
      const units = meanUnitsPerImpression(a.posterior, goal);
      return objective === 'perSpend' ? units / a.posterior.costPerImpressionMicros : units;
    });
    source = 'efficiency';
  } else {
    raw = g.arms.map(() => 1);
    source = 'even';
  }
  // The floor and eligibility hold on fallback too; max-change does not, a fallback is a reset.
  const shares = applyGuardrails(
    raw,
    g.arms.map((a) => a.eligible),
    undefined,
    { explorationFloor: options.explorationFloor, maxChange: 1 },
  ).shares;
  return { shares, source };
}

function armDecisions(
  g: Group,
  goal: GoalModel,
  preferred: readonly number[] | undefined,
  shares: readonly number[] | undefined,
): ArmDecision[] {
  const prefSum = preferred?.reduce((a, b) => a + b, 0) ?? 0;
  return g.arms.map((a, i) => {
    const d: ArmDecision = {
      armId: a.id,
      eligible: a.eligible,
      stats: g.stats[i]!,
      posterior: summarizePosterior(g.posteriors[i]!, goal),
      share: shares?.[i] ?? 0,
    };
    const why = g.excluded[i];
    if (why !== undefined) d.excluded = why;
    if (preferred !== undefined && prefSum > 0 && a.eligible) d.preferredShare = preferred[i]! / prefSum;
    return d;
  });
}
