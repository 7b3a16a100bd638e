import gamma from '@stdlib/random-base-gamma';
import type { Rng } from '../core/index.ts';

/** Draws from the posteriors the bandits use, all from one injected uniform `Rng`. */
export interface PosteriorSampler {
  /** A draw from Beta(alpha, beta). */
  beta(alpha: number, beta: number): number;
  /** A draw from Gamma(shape, rate) (mean shape / rate). */
  gamma(shape: number, rate: number): number;
  /** A standard normal draw. */
  normal(): number;
  /** Prepares Beta(alpha, beta) for repeated draws (the choice of method and its square roots, made once). */
  planBeta(alpha: number, beta: number): BetaPlan;
  /** A draw from a prepared Beta; the same stream and method as `beta()`. */
  drawBeta(plan: BetaPlan): number;
  /** Prepares Gamma(shape, rate) for repeated draws. */
  planGamma(shape: number, rate: number): GammaPlan;
  /** A draw from a prepared Gamma. */
  drawGamma(plan: GammaPlan): number;
}

/** A Gamma(shape, rate) prepared for repeated draws: `method` 0 normal, 1 Wilson–Hilferty cube, 2 exact. */
export interface GammaPlan {
  method: 0 | 1 | 2;
  shape: number;
  rate: number;
  /** Normal: √shape; cube: 1 − 1/(9·shape). */
  c1: number;
  /** Cube: 1/(3·√shape). */
  c2: number;
}

/** A Beta prepared for repeated draws: the normal with mean `m` and sd `sd`, or Ga / (Ga + Gb). */
export interface BetaPlan {
  normal: boolean;
  m: number;
  sd: number;
  ga: GammaPlan;
  gb: GammaPlan;
}

/** How the sampler draws. */
export interface SamplerOptions {
  /**
   * From this many pseudo-counts up (Beta: both α and β; Gamma: the shape) draw from the normal with
   * the same mean and variance instead of the exact distribution; `Infinity` always draws exactly.
   * At 30 the Gamma's skewness is 2/√30 ≈ 0.37 and the Beta's is smaller still, well inside the
   * Monte Carlo error of 100 draws; bench/optimizer/cycle.bench.ts has the cost of each path.
   */
  normalAbove: number;
  /**
   * From this shape up (and below `normalAbove`) draw a Gamma by the Wilson–Hilferty cube of a
   * normal, k·(1 − 1/(9k) + z/(3√k))³, instead of stdlib's exact sampler: ~4× cheaper (one Box–Muller
   * normal against ~100 ns), mean and variance within 1 % from k = 1 (optimizer/posterior.test.ts).
   * `Infinity` keeps stdlib's exact draws.
   */
  cubeAbove: number;
}

/** Default: stdlib's exact Gamma below shape 1, Wilson–Hilferty from 1, the plain normal from 30 up. */
export const DEFAULT_SAMPLER_OPTIONS: Readonly<SamplerOptions> = Object.freeze({
  normalAbove: 30,
  cubeAbove: 1,
});

const BLOCK = 256;

/** A sampler over `rng`; the same seed gives the same draws. */
export function posteriorSampler(
  rng: Rng,
  options: SamplerOptions = DEFAULT_SAMPLER_OPTIONS,
): PosteriorSampler {
  const { normalAbove, cubeAbove } = options;
  let exactGamma: ((shape: number, rate: number) => number) | undefined;
  // Normals come from a block refilled by Box–Muller. A double kept in a closure variable (the
  // usual "spare" normal) is boxed anew on every write; in a Float64Array it is not, and the
  // refill loop stays monomorphic (bench/optimizer/cycle.bench.ts: GC time halved).
  const block = new Float64Array(BLOCK);
  let at = BLOCK;
  const refill = () => {
    for (let i = 0; i < BLOCK; i += 2) {
      const u = 1 - rng.next();
      const v = 2 * Math.PI * rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      block[i] = r * Math.cos(v);
      block[i + 1] = r * Math.sin(v);
    }
    at = 0;
  };
  const normal = (): number => {
    if (at === BLOCK) refill();
    return block[at++]!;
  };
  const planGamma = (shape: number, rate: number): GammaPlan => {
    if (shape >= normalAbove) return { method: 0, shape, rate, c1: Math.sqrt(shape), c2: 0 };
    if (shape >= cubeAbove)
      return { method: 1, shape, rate, c1: 1 - 1 / (9 * shape), c2: 1 / (3 * Math.sqrt(shape)) };
    return { method: 2, shape, rate, c1: 0, c2: 0 };
  };
  const drawGamma = (p: GammaPlan): number => {
    if (p.method === 0) {
      const x = p.shape + normal() * p.c1;
      return x > 0 ? x / p.rate : Number.MIN_VALUE;
    }
    if (p.method === 1) {
      const c = p.c1 + normal() * p.c2;
      return c > 0 ? (p.shape * c * c * c) / p.rate : Number.MIN_VALUE;
    }
    // stdlib draws its uniforms from `prng` only, so every draw stays on the injected, seeded stream.
    exactGamma ??= gamma.factory({ prng: () => rng.next() });
    return exactGamma(p.shape, p.rate);
  };
  const planBeta = (a: number, b: number): BetaPlan => {
    const n = a + b;
    const m = a / n;
    return {
      normal: a >= normalAbove && b >= normalAbove,
      m,
      sd: Math.sqrt((m * (1 - m)) / (n + 1)),
      ga: planGamma(a, 1),
      gb: planGamma(b, 1),
    };
  };
  const drawBeta = (p: BetaPlan): number => {
    if (p.normal) {
      const x = p.m + normal() * p.sd;
      return x <= 0 ? Number.MIN_VALUE : x >= 1 ? 1 - Number.EPSILON : x;
    }
    // Ga / (Ga + Gb) is an exact Beta draw. stdlib's own Beta sampler is exact too, but its
    // normal-proposal rejection step accepts rarely at CTR-like skew: 660–750 ns a draw against
    // ~200 ns for two of its Gamma draws (Beta(3, 300) to Beta(60, 5000), this machine).
    const ga = drawGamma(p.ga);
    return ga / (ga + drawGamma(p.gb));
  };
  return {
    beta: (a, b) => drawBeta(planBeta(a, b)),
    gamma: (shape, rate) => drawGamma(planGamma(shape, rate)),
    planBeta,
    drawBeta,
    planGamma,
    drawGamma,
    normal,
  };
}
