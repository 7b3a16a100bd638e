import type { ArmStats } from './arm-stats.ts';

/** When a campaign's statistics are too strange to optimize on. */
export interface AnomalyOptions {
  /** Campaign CTR of the last period vs the one before, up or down, by this factor or more (10 = ×10 or ÷10). */
  ctrJumpFactor: number;
  /** Campaign spend of the last period at this factor or more of the busiest earlier period in the window (increases only: a spent-out budget drops legitimately). */
  spendJumpFactor: number;
  /** Both periods need this many impressions before their CTRs are compared: small counts jump by chance. */
  minImpressions: number;
}

/** Defaults: ×10 for CTR and spend, 1,000 impressions. */
export const DEFAULT_ANOMALY: Readonly<AnomalyOptions> = Object.freeze({
  ctrJumpFactor: 10,
  spendJumpFactor: 10,
  minImpressions: 1000,
});

/** What is wrong with a campaign's statistics, if anything. */
export type Anomaly = { kind: 'no-data'; note: string } | { kind: 'anomaly'; note: string };

interface PeriodTotals {
  endMs: number;
  impressions: number;
  clicks: number;
  spendMicros: number;
}

/**
 * Checks one campaign's rows: no data at all; spend booked without impressions (a tracking or
 * join fault, so the cost figures are wrong); campaign CTR of the last period jumping beyond the
 * threshold against the period before it, or its spend against the busiest earlier period (a
 * tracking outage, click fraud, a pricing bug).
 */
export function detectAnomaly(
  rows: readonly ArmStats[],
  options: AnomalyOptions = DEFAULT_ANOMALY,
): Anomaly | undefined {
  let imps = 0;
  let spend = 0;
  const periods = new Map<number, PeriodTotals>();
  for (const r of rows) {
    imps += r.impressions;
    spend += r.spendMicros;
    if (r.spendMicros > 0 && r.impressions === 0) {
      return {
        kind: 'anomaly',
        note: `arm ${r.armId} spent ${r.spendMicros} micros without impressions in the period ending ${new Date(r.periodEndMs).toISOString()}`,
      };
    }
    let p = periods.get(r.periodEndMs);
    if (p === undefined) {
      p = { endMs: r.periodEndMs, impressions: 0, clicks: 0, spendMicros: 0 };
      periods.set(r.periodEndMs, p);
    }
    p.impressions += r.impressions;
    p.clicks += r.clicks;
    p.spendMicros += r.spendMicros;
  }
  if (imps === 0 && spend === 0)
    return { kind: 'no-data', note: 'no impressions or spend in the stats window' };
  if (periods.size < 2) return undefined;
  const sorted = [...periods.values()].sort((a, b) => b.endMs - a.endMs);
  const last = sorted[0]!;
  const before = sorted[1]!;
  // Against the busiest earlier period, not the one just before: after a budget ran out, the
  // period before a new day's first one spent next to nothing, and a normal hour would look like
  // a ×100 jump (it made every ASAP campaign fall back once a day in the simulator).
  let reference = 0;
  for (let i = 1; i < sorted.length; i++) reference = Math.max(reference, sorted[i]!.spendMicros);
  if (reference > 0 && last.spendMicros >= options.spendJumpFactor * reference) {
    const x = last.spendMicros / reference;
    return {
      kind: 'anomaly',
      note: `spend jumped ×${x.toFixed(1)} against the busiest earlier period (threshold ×${options.spendJumpFactor})`,
    };
  }
  if (last.impressions >= options.minImpressions && before.impressions >= options.minImpressions) {
    // Half a click stands in for none, so 0 → 30 clicks is a jump and 0 → 0 is not.
    const ctrLast = (last.clicks || 0.5) / last.impressions;
    const ctrBefore = (before.clicks || 0.5) / before.impressions;
    const x = ctrLast / ctrBefore;
    if (x >= options.ctrJumpFactor || x <= 1 / options.ctrJumpFactor) {
      return {
        kind: 'anomaly',
        note: `CTR moved ×${x.toFixed(2)} against the previous period (${(100 * ctrBefore).toFixed(3)} % → ${(100 * ctrLast).toFixed(3)} %, threshold ×${options.ctrJumpFactor})`,
      };
    }
  }
  return undefined;
}
