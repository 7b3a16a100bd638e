import { KernelRidgeRegression } from 'ml-regression';
import type { DecayedStats } from './arm-stats.ts';

/** How segment features inform the prior of value per conversion. */
export interface ValueModelOptions {
  /** Arms with at least this many (decayed) conversions train the model. */
  minConversions: number;
  /** Fewer training arms than this: no model, every arm keeps the pooled prior. */
  minArms: number;
  /** Ridge penalty: larger pulls predictions toward the pooled mean. */
  lambda: number;
  /** Width of the Gaussian kernel in feature units. */
  sigma: number;
}

/** Defaults: 3 conversions, 4 arms, λ = 1, σ = 1 (one-hot features differ by √2 per changed attribute). */
export const DEFAULT_VALUE_MODEL: Readonly<ValueModelOptions> = Object.freeze({
  minConversions: 3,
  minArms: 4,
  lambda: 1,
  sigma: 1,
});

/**
 * Prior means of value per conversion (micros) from segment features, or undefined per arm without
 * features (and for all arms when there is too little to learn from).
 *
 * What it is for: a value (ROAS) campaign's new or thin segment has no conversions of its own, so
 * its Gamma prior would sit at the campaign's pooled mean value; a segment that resembles the
 * high-value segments (same device, geo, audience kind) should start nearer to them, and one that
 * resembles cheap ones lower, which makes Thompson sampling explore it at the right price. The
 * model is kernel ridge regression (ml-regression) on log value per conversion, centred on the
 * pooled log mean: with a Gaussian kernel a segment unlike any trained one predicts 0, i.e. the
 * pooled mean, so the model can only move a prior where it has evidence. Its output is a prior
 * (worth `PriorOptions.priorSuccesses` conversions), never a replacement for an arm's own data.
 */
export function valuePriors(
  stats: readonly DecayedStats[],
  features: readonly (readonly number[] | undefined)[],
  options: ValueModelOptions = DEFAULT_VALUE_MODEL,
): (number | undefined)[] {
  const none = stats.map(() => undefined);
  const x: number[][] = [];
  const logs: number[] = [];
  const weights: number[] = [];
  stats.forEach((s, i) => {
    const f = features[i];
    if (f === undefined || s.conversions < options.minConversions || s.valueMicros <= 0) return;
    x.push([...f]);
    logs.push(Math.log(s.valueMicros / s.conversions));
    weights.push(s.conversions);
  });
  if (x.length < options.minArms) return none;
  const wsum = weights.reduce((a, b) => a + b, 0);
  const centre = logs.reduce((a, y, i) => a + y * weights[i]!, 0) / wsum;
  let model: KernelRidgeRegression;
  try {
    model = new KernelRidgeRegression(
      x,
      logs.map((y) => [y - centre]),
      { kernelType: 'gaussian', kernelOptions: { sigma: options.sigma }, lambda: options.lambda },
    );
  } catch {
    // A singular system (duplicate rows with λ→0) is not worth failing a campaign for.
    return none;
  }
  return features.map((f) => {
    if (f === undefined) return undefined;
    const y = model.predict([[...f]])[0]?.[0];
    return y === undefined || !Number.isFinite(y) ? undefined : Math.exp(centre + y);
  });
}
