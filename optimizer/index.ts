export { type Anomaly, type AnomalyOptions, DEFAULT_ANOMALY, detectAnomaly } from './anomaly.ts';
export { type ArmStats, type DecayedStats, decayStats, EMPTY_STATS } from './arm-stats.ts';
export {
  type ArmShares,
  type Bandit,
  type BanditArm,
  type BanditContext,
  guardedBandit,
  type Preference,
} from './bandits/bandit.ts';
export {
  DEFAULT_EPSILON_GREEDY,
  type EpsilonGreedyOptions,
  epsilonGreedyBandit,
} from './bandits/epsilon-greedy.ts';
export { type BanditRegistry, banditRegistry } from './bandits/registry.ts';
export { DEFAULT_THOMPSON, type ThompsonOptions, thompsonBandit } from './bandits/thompson.ts';
export { DEFAULT_UCB, type UcbOptions, ucbTunedBandit } from './bandits/ucb-tuned.ts';
export { type OptimizerErrorCode, OptimizerErrors } from './errors.ts';
export { applyGuardrails, type GuardedShares, type GuardrailOptions } from './guardrails.ts';
export { campaignStatsFromHourly, hourlyStatsReader } from './hourly-stats.ts';
export { largestRemainder } from './largest-remainder.ts';
export {
  type ArmDecision,
  type ArmStatus,
  type BudgetArmInput,
  type CampaignDecision,
  type CampaignInput,
  type CampaignOutcome,
  type CreativeGroupInput,
  DEFAULT_OPTIMIZER_OPTIONS,
  type GoalInput,
  type OptimizerIssue,
  type OptimizerOptions,
  optimizeCampaign,
} from './optimize-campaign.ts';
export {
  type CycleOptions,
  type CycleResult,
  optimizeAndWrite,
  optimizeCycle,
  type WrittenCycle,
} from './optimize-cycle.ts';
export {
  type AllocationWriter,
  type CampaignStats,
  type StatsReader,
  type StatsWindow,
  variantArmId,
} from './ports.ts';
export {
  type ArmPosterior,
  type GoalKind,
  type GoalModel,
  groupPosteriors,
  type Interval,
  type PosteriorSummary,
  summarizePosterior,
} from './posterior.ts';
export {
  DEFAULT_SAMPLER_OPTIONS,
  type PosteriorSampler,
  posteriorSampler,
  type SamplerOptions,
} from './sampler.ts';
export { digamma, trigamma } from './special.ts';
