import type { DecayedStats } from './arm-stats.ts';

/** What a campaign optimizes: clicks, conversions, or conversion value (ROAS). */
export type GoalKind = 'clicks' | 'conversions' | 'value';

/** How a campaign's goal is modelled. */
export interface GoalModel {
  kind: GoalKind;
  /** Conversion rate per click (CTR × CVR) or per impression (CVR alone); post-view conversions need the latter. */
  cvrBase: 'click' | 'impression';
}

/** A Beta(α, β) posterior of a rate. */
export interface BetaPosterior {
  alpha: number;
  beta: number;
}

/** A Gamma(shape, rate) posterior of λ, where conversion values are exponential with mean 1/λ micros. */
export interface GammaPosterior {
  shape: number;
  rate: number;
}

/** An arm's posteriors: enough to sample goal units per impression and turn them into units per spend. */
export interface ArmPosterior {
  /** CTR per impression. */
  ctr: BetaPosterior;
  /** CVR per click or per impression (`GoalModel.cvrBase`); absent for a clicks goal. */
  cvr?: BetaPosterior;
  /** Value per conversion; present for a value goal only. */
  value?: GammaPosterior;
  /** Observed cost of one impression (spend ÷ impressions), micros; the group's pooled cost when the arm has none. */
  costPerImpressionMicros: number;
  /** Effective (decayed) impressions behind the posterior. */
  impressions: number;
}

/** A posterior mean with its central 95 % interval. */
export interface Interval {
  mean: number;
  lo: number;
  hi: number;
}

/** What the decision log shows for an arm: posterior means and 95 % intervals. */
export interface PosteriorSummary {
  ctr: Interval;
  cvr?: Interval;
  valuePerConversionMicros?: Interval;
  costPerImpressionMicros: number;
  /** Posterior mean of goal units (clicks, conversions, or value micros) per impression. */
  unitsPerImpression: number;
}

/** Strength of the pooled prior, in pseudo-successes (pseudo-clicks, pseudo-conversions). */
export interface PriorOptions {
  priorSuccesses: number;
}

/** Default prior: as strong as 2 successes at the group's pooled rate. */
export const DEFAULT_PRIOR: Readonly<PriorOptions> = Object.freeze({ priorSuccesses: 2 });

const Z95 = 1.959963984540054;

function pooledRate(successes: number, trials: number): number {
  // Half a pseudo-success keeps the prior proper when the whole group has none yet.
  return (successes + 0.5) / (trials + 1);
}

function betaPrior(rate: number, strength: number): BetaPosterior {
  return { alpha: strength, beta: (strength * (1 - rate)) / rate };
}

/**
 * Posteriors for a group of arms (one campaign's budget arms, or one creative group's variants)
 * under an empirical-Bayes prior: each arm's prior is centred on the group's pooled rate, so an arm
 * without data starts where its siblings are instead of at CTR 0.5 (Beta(1, 1)), which would make
 * Thompson sampling pour budget into every new arm.
 */
export function groupPosteriors(
  stats: readonly DecayedStats[],
  goal: GoalModel,
  prior: PriorOptions = DEFAULT_PRIOR,
  /** Per-arm prior mean value per conversion (value-model.ts) in place of the pooled mean, where defined. */
  priorValueMicros?: readonly (number | undefined)[],
): ArmPosterior[] {
  let imps = 0;
  let clicks = 0;
  let convs = 0;
  let spend = 0;
  let value = 0;
  for (const s of stats) {
    imps += s.impressions;
    clicks += s.clicks;
    convs += s.conversions;
    spend += s.spendMicros;
    value += s.valueMicros;
  }
  const k = prior.priorSuccesses;
  const ctrPrior = betaPrior(pooledRate(clicks, imps), k);
  const cvrTrials = goal.cvrBase === 'click' ? clicks : imps;
  const cvrPrior = betaPrior(pooledRate(convs, cvrTrials), k);
  // A pooled mean value of 1 unit when nothing has converted yet: only the ranking among arms matters.
  const meanValue = convs > 0 && value > 0 ? value / convs : 1_000_000;
  const pooledCost = imps > 0 && spend > 0 ? spend / imps : 1;
  return stats.map((s, i) => {
    const post: ArmPosterior = {
      ctr: {
        alpha: ctrPrior.alpha + s.clicks,
        beta: ctrPrior.beta + Math.max(0, s.impressions - s.clicks),
      },
      costPerImpressionMicros:
        s.impressions > 0 && s.spendMicros > 0 ? s.spendMicros / s.impressions : pooledCost,
      impressions: s.impressions,
    };
    if (goal.kind !== 'clicks') {
      const trials = goal.cvrBase === 'click' ? s.clicks : s.impressions;
      post.cvr = {
        alpha: cvrPrior.alpha + s.conversions,
        beta: cvrPrior.beta + Math.max(0, trials - s.conversions),
      };
    }
    if (goal.kind === 'value') {
      // Gamma(k + n, k·mean + V) on λ: the prior is k pseudo-conversions worth the pooled mean each.
      const m = priorValueMicros?.[i] ?? meanValue;
      post.value = { shape: k + 1 + s.conversions, rate: k * m + s.valueMicros };
    }
    return post;
  });
}

function betaInterval(p: BetaPosterior): Interval {
  const n = p.alpha + p.beta;
  const mean = p.alpha / n;
  const sd = Math.sqrt((mean * (1 - mean)) / (n + 1));
  return { mean, lo: Math.max(0, mean - Z95 * sd), hi: Math.min(1, mean + Z95 * sd) };
}

/** Posterior mean of goal units per impression. */
export function meanUnitsPerImpression(p: ArmPosterior, goal: GoalModel): number {
  const ctr = p.ctr.alpha / (p.ctr.alpha + p.ctr.beta);
  if (goal.kind === 'clicks') return ctr;
  const cvr = p.cvr === undefined ? 0 : p.cvr.alpha / (p.cvr.alpha + p.cvr.beta);
  const perImp = goal.cvrBase === 'click' ? ctr * cvr : cvr;
  if (goal.kind === 'conversions') return perImp;
  return perImp * (p.value === undefined ? 0 : p.value.rate / (p.value.shape - 1));
}

/**
 * Means and 95 % intervals. Rates use the normal approximation to the Beta (clipped to [0, 1]);
 * the value per conversion maps λ's normal interval through 1/λ, which keeps it skewed the right
 * way. Both are a guide for the dashboard, close to exact once an arm has a few dozen successes.
 */
export function summarizePosterior(p: ArmPosterior, goal: GoalModel): PosteriorSummary {
  const out: PosteriorSummary = {
    ctr: betaInterval(p.ctr),
    costPerImpressionMicros: p.costPerImpressionMicros,
    unitsPerImpression: meanUnitsPerImpression(p, goal),
  };
  if (p.cvr !== undefined) out.cvr = betaInterval(p.cvr);
  if (p.value !== undefined) {
    const { shape, rate } = p.value;
    const spread = Z95 * Math.sqrt(shape);
    out.valuePerConversionMicros = {
      mean: rate / (shape - 1),
      lo: rate / (shape + spread),
      hi: shape > spread ? rate / (shape - spread) : Number.POSITIVE_INFINITY,
    };
  }
  return out;
}
