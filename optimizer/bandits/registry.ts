import { errorFrom } from '../../core/index.ts';
import { OptimizerErrors } from '../errors.ts';
import type { Bandit } from './bandit.ts';
import { epsilonGreedyBandit } from './epsilon-greedy.ts';
import { CAPPED_THOMPSON, thompsonBandit } from './thompson.ts';
import { ucbTunedBandit } from './ucb-tuned.ts';

/** Bandits by name: a campaign picks its policy with `banditName`. */
export interface BanditRegistry {
  /** The bandit called `name`; throws OPT_UNKNOWN_BANDIT when there is none. */
  get(name: string): Bandit;
  names(): string[];
}

/**
 * A registry of the given bandits, keyed by their `name`; defaults to Thompson, UCB-tuned and
 * ε-greedy with default settings, and `thompson-capped` (Thompson with a 3 % exploration cap, the
 * campaigns' default: optimizer/runtime/campaign-inputs.ts).
 */
export function banditRegistry(
  bandits: readonly Bandit[] = [
    thompsonBandit(),
    ucbTunedBandit(),
    epsilonGreedyBandit(),
    thompsonBandit(CAPPED_THOMPSON, 'thompson-capped'),
  ],
): BanditRegistry {
  const byName = new Map<string, Bandit>();
  for (const b of bandits) {
    if (byName.has(b.name)) throw new RangeError(`duplicate bandit name ${b.name}`);
    byName.set(b.name, b);
  }
  return {
    get(name) {
      const b = byName.get(name);
      if (b === undefined) {
        throw errorFrom(
          OptimizerErrors.OPT_UNKNOWN_BANDIT,
          `unknown bandit "${name}"; known: ${[...byName.keys()].join(', ')}`,
        );
      }
      return b;
    },
    names: () => [...byName.keys()],
  };
}
