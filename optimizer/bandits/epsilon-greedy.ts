import { meanUnitsPerImpression } from '../posterior.ts';
import { type Bandit, efficiency, guardedBandit } from './bandit.ts';

/** ε-greedy settings. */
export interface EpsilonGreedyOptions {
  /** Share spread evenly over all eligible arms; the rest goes to the arm with the best posterior mean. */
  epsilon: number;
}

/** Default: ε = 0.1. */
export const DEFAULT_EPSILON_GREEDY: Readonly<EpsilonGreedyOptions> = Object.freeze({ epsilon: 0.1 });

/**
 * ε-greedy in its batch form: ε of the period spread evenly, 1 − ε to the arm with the highest
 * posterior-mean goal units per spend (split evenly on exact ties). Deterministic: the Rng is not used.
 */
export function epsilonGreedyBandit(options: EpsilonGreedyOptions = DEFAULT_EPSILON_GREEDY): Bandit {
  return guardedBandit('epsilon-greedy', (arms, context) => {
    const values = arms.map((a) =>
      a.eligible ? efficiency(meanUnitsPerImpression(a.posterior, context.goal), a, context) : Number.NaN,
    );
    let best = Number.NEGATIVE_INFINITY;
    let eligible = 0;
    for (const v of values) {
      if (Number.isNaN(v)) continue;
      eligible++;
      if (v > best) best = v;
    }
    const leaders = values.filter((v) => v === best).length;
    return values.map((v) => {
      if (Number.isNaN(v)) return 0;
      return options.epsilon / eligible + (v === best ? (1 - options.epsilon) / leaders : 0);
    });
  });
}
