/** Time budget of one micro-benchmark measurement. */
export interface LoopBudget {
  /** Milliseconds of unmeasured calls first (JIT tiers up, inline caches settle). */
  warmupMs: number;
  /** Milliseconds of measured calls. */
  measureMs: number;
}

/** Half a second measured per case: enough for a stable median, short on a shared 2-core machine. */
export const DEFAULT_BUDGET: LoopBudget = { warmupMs: 150, measureMs: 500 };

const BATCH_MS = 20;

function runFor(fn: () => unknown, ms: number): number {
  const end = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  let n = 0;
  while (process.hrtime.bigint() < end) {
    fn();
    n++;
  }
  return n;
}

/**
 * Nanoseconds per call of `fn`: the median over batches of ~20 ms. The median, not the mean, so a
 * GC pause or another process's burst on this shared machine moves one batch, not the result.
 */
export function nsPerCall(fn: () => unknown, budget: LoopBudget = DEFAULT_BUDGET): number {
  const warmCalls = runFor(fn, budget.warmupMs);
  const batch = Math.max(1, Math.round((warmCalls * BATCH_MS) / Math.max(1, budget.warmupMs)));
  const samples: number[] = [];
  const end = process.hrtime.bigint() + BigInt(budget.measureMs) * 1_000_000n;
  do {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
  } while (process.hrtime.bigint() < end || samples.length < 5);
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Median wall time in ms of `runs` calls of a slow `fn` (after one unmeasured call). */
export function msPerRun(fn: () => unknown, runs: number): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}
