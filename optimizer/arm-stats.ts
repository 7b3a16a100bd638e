/**
 * One arm's counts over one period, as the ClickHouse rollup reader produces them. Counts are
 * integers, money integer micros; `periodEndMs` is exclusive.
 */
export interface ArmStats {
  /** Budget arm id (line item id or `${lineItemId}:${segmentId}`) or creative variant id. */
  armId: string;
  periodStartMs: number;
  periodEndMs: number;
  impressions: number;
  clicks: number;
  conversions: number;
  spendMicros: number;
  /** Conversion value reported with the conversions (postback `value`), micros. */
  valueMicros: number;
}

/** An arm's counts after exponential time decay: fractional "effective" counts, recent periods weigh most. */
export interface DecayedStats {
  impressions: number;
  clicks: number;
  conversions: number;
  spendMicros: number;
  valueMicros: number;
}

/** Decayed stats of an arm that has no history. */
export const EMPTY_STATS: Readonly<DecayedStats> = Object.freeze({
  impressions: 0,
  clicks: 0,
  conversions: 0,
  spendMicros: 0,
  valueMicros: 0,
});

/**
 * Sums each arm's periods, weighting a period by 0.5^(age / halfLifeMs) where age runs from the
 * period's end to `nowMs`. A period ending in the future counts fully (clock skew between the
 * optimizer and ClickHouse must not give it a weight above 1). `halfLifeMs = Infinity` means no decay.
 */
export function decayStats(
  history: readonly ArmStats[],
  nowMs: number,
  halfLifeMs: number,
): Map<string, DecayedStats> {
  if (!(halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${halfLifeMs}`);
  const out = new Map<string, DecayedStats>();
  const k = Math.LN2 / halfLifeMs;
  for (const row of history) {
    const age = Math.max(0, nowMs - row.periodEndMs);
    const w = Math.exp(-k * age);
    let acc = out.get(row.armId);
    if (acc === undefined) {
      acc = { impressions: 0, clicks: 0, conversions: 0, spendMicros: 0, valueMicros: 0 };
      out.set(row.armId, acc);
    }
    acc.impressions += w * row.impressions;
    acc.clicks += w * row.clicks;
    acc.conversions += w * row.conversions;
    acc.spendMicros += w * row.spendMicros;
    acc.valueMicros += w * row.valueMicros;
  }
  return out;
}
