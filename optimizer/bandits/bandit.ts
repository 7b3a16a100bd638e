import type { Rng } from '../../core/index.ts';
import { applyGuardrails, type GuardrailOptions } from '../guardrails.ts';
import type { ArmPosterior, GoalModel } from '../posterior.ts';

/** One arm as a bandit sees it. */
export interface BanditArm {
  id: string;
  /** False for a paused arm, one without budget, or one that cannot meet its goal cap: it gets share 0. */
  eligible: boolean;
  posterior: ArmPosterior;
}

/** Everything but the arms that a bandit needs for one allocation. */
export interface BanditContext extends GuardrailOptions {
  goal: GoalModel;
  /**
   * `perSpend`: budget arms compete on goal units per micro spent (their prices differ);
   * `perImpression`: creative variants of one line item compete on goal units per impression.
   */
  objective: 'perSpend' | 'perImpression';
  /** Arm id → share in the last allocation of this group; undefined when the group has none. */
  previousShares: ReadonlyMap<string, number> | undefined;
}

/** A bandit's allocation of one group: shares in arm order, summing to 1, after the guardrails. */
export interface ArmShares {
  shares: number[];
  /** The bandit's own shares before the guardrails, for the decision log. */
  preferred: number[];
  /** A max-change limit held some arm back. */
  capped: boolean;
  /** The limits conflicted and max-change was loosened for this period. */
  relaxed: boolean;
}

/**
 * A multi-armed-bandit policy. Implementations are interchangeable per campaign by name (see
 * registry.ts) and must pass the shared contract suite (bandit.case.ts): shares sum to 1, eligible
 * arms keep the exploration floor, ineligible arms get 0, max-change holds, same seed → same shares.
 */
export interface Bandit {
  readonly name: string;
  allocate(arms: readonly BanditArm[], context: BanditContext, rng: Rng): ArmShares;
}

/** A policy's raw preference over arms (any non-negative weights; ineligible arms are ignored). */
export type Preference = (arms: readonly BanditArm[], context: BanditContext, rng: Rng) => number[];

/** Builds a Bandit from a preference function: the guardrails are applied here, once, for every policy. */
export function guardedBandit(name: string, prefer: Preference): Bandit {
  return {
    name,
    allocate(arms, context, rng) {
      const preferred = prefer(arms, context, rng);
      const prev = context.previousShares;
      const previous = prev === undefined ? undefined : arms.map((a) => prev.get(a.id));
      const g = applyGuardrails(
        preferred,
        arms.map((a) => a.eligible),
        previous,
        context,
      );
      return { shares: g.shares, preferred, capped: g.capped, relaxed: g.relaxed };
    },
  };
}

/** Goal units per impression, or per micro spent, for a given units-per-impression figure. */
export function efficiency(unitsPerImpression: number, arm: BanditArm, context: BanditContext): number {
  return context.objective === 'perSpend'
    ? unitsPerImpression / arm.posterior.costPerImpressionMicros
    : unitsPerImpression;
}
