/** Source of randomness. Domain code takes an Rng; seeded in tests and simulations. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

/** Seeded PRNG (mulberry32): small, fast and reproducible across platforms. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Makes unique ids: an instance prefix plus a counter. Cheaper than a UUID per bid, unique as long as prefixes are. */
export function idGenerator(prefix: string): () => string {
  let n = 0;
  return () => {
    n += 1;
    return prefix + n.toString(36);
  };
}
