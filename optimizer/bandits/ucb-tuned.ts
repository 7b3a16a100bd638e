import { meanUnitsPerImpression } from '../posterior.ts';
import { type Bandit, efficiency, guardedBandit } from './bandit.ts';

/** UCB-tuned settings. */
export interface UcbOptions {
  /** Virtual pulls per allocation; an arm's share is the fraction it wins (see ucbTunedBandit). */
  virtualPulls: number;
}

/** Default: 100 virtual pulls (share resolution 1 %). */
export const DEFAULT_UCB: Readonly<UcbOptions> = Object.freeze({ virtualPulls: 100 });

/**
 * UCB-tuned (Auer et al. 2002): index = p + sqrt(ln N / n · min(1/4, p(1−p) + sqrt(2 ln N / n)))
 * on the arm's success rate per impression (clicks, or conversions), scaled to goal units per spend.
 * Plain UCB1's bonus assumes rewards spread over [0, 1]; at CTRs near 1 % it would dwarf every real
 * difference, which is why the variance-aware form is used. UCB picks one arm; to turn that into
 * shares for a whole period, the period is split into `virtualPulls` pulls, each adding N / pulls
 * impressions to the arm it picks (shrinking its bonus), and an arm's share is the fraction of
 * pulls it wins. Deterministic: the Rng is not used.
 */
export function ucbTunedBandit(options: UcbOptions = DEFAULT_UCB): Bandit {
  return guardedBandit('ucb-tuned', (arms, context) => {
    const k = arms.length;
    const n = new Array<number>(k);
    const p = new Array<number>(k);
    const scale = new Array<number>(k);
    let total = 0;
    for (let i = 0; i < k; i++) {
      const arm = arms[i]!;
      const post = arm.posterior;
      n[i] = post.impressions;
      total += post.impressions;
      const units = meanUnitsPerImpression(post, context.goal);
      // Success rate per impression, and the factor that turns it into goal units per spend.
      const rate = context.goal.kind === 'clicks' ? units : conversionRate(post, context.goal.cvrBase);
      p[i] = rate;
      scale[i] = rate > 0 ? efficiency(units, arm, context) / rate : 0;
    }
    const pulls = new Array<number>(k).fill(0);
    const step = Math.max(total, 1) / options.virtualPulls;
    for (let t = 0; t < options.virtualPulls; t++) {
      const N = total + t * step;
      const lnN = Math.log(Math.max(N, Math.E));
      let best = -1;
      let bestIndex = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < k; i++) {
        if (!arms[i]!.eligible) continue;
        const ni = n[i]!;
        const pi = p[i]!;
        // An arm without data comes first, as in UCB1's initial round; several take turns.
        const index =
          ni < 1
            ? Number.MAX_VALUE / (1 + pulls[i]!)
            : (pi + Math.sqrt((lnN / ni) * Math.min(0.25, pi * (1 - pi) + Math.sqrt((2 * lnN) / ni)))) *
              scale[i]!;
        if (index > bestIndex) {
          bestIndex = index;
          best = i;
        }
      }
      if (best < 0) break;
      pulls[best]! += 1;
      n[best]! += step;
    }
    return pulls;
  });
}

function conversionRate(
  post: { ctr: { alpha: number; beta: number }; cvr?: { alpha: number; beta: number } },
  base: 'click' | 'impression',
): number {
  if (post.cvr === undefined) return 0;
  const cvr = post.cvr.alpha / (post.cvr.alpha + post.cvr.beta);
  return base === 'click' ? cvr * (post.ctr.alpha / (post.ctr.alpha + post.ctr.beta)) : cvr;
}
