import { describe, expect, it } from 'vitest';
import { detectAnomaly } from './anomaly.ts';
import type { ArmStats } from './arm-stats.ts';

const HOUR = 3_600_000;
const row = (
  endH: number,
  impressions: number,
  clicks: number,
  spendMicros = impressions * 1000,
): ArmStats => ({
  armId: 'a',
  periodStartMs: (endH - 1) * HOUR,
  periodEndMs: endH * HOUR,
  impressions,
  clicks,
  conversions: 0,
  spendMicros,
  valueMicros: 0,
});

describe('detectAnomaly', () => {
  it('passes ordinary data', () => {
    expect(detectAnomaly([row(1, 5000, 50), row(2, 5000, 80), row(3, 6000, 40)])).toBeUndefined();
  });

  it('reports no data', () => {
    expect(detectAnomaly([])?.kind).toBe('no-data');
    expect(detectAnomaly([row(1, 0, 0)])?.kind).toBe('no-data');
  });

  it('flags a CTR move of ×10 either way, compares only the last two periods', () => {
    expect(detectAnomaly([row(1, 5000, 50), row(2, 5000, 500)])?.kind).toBe('anomaly');
    expect(detectAnomaly([row(1, 5000, 500), row(2, 5000, 50)])?.kind).toBe('anomaly');
    expect(detectAnomaly([row(1, 5000, 50), row(2, 5000, 499)])).toBeUndefined();
    // An old jump that has settled is not an anomaly now.
    expect(detectAnomaly([row(1, 5000, 5), row(2, 5000, 50), row(3, 5000, 55)])).toBeUndefined();
  });

  it('ignores CTR jumps on small counts, and treats no clicks as half a click', () => {
    expect(detectAnomaly([row(1, 500, 1), row(2, 500, 20)])).toBeUndefined();
    expect(detectAnomaly([row(1, 5000, 0), row(2, 5000, 5)])?.kind).toBe('anomaly');
    expect(detectAnomaly([row(1, 5000, 0), row(2, 5000, 4)])).toBeUndefined();
  });

  it('flags spend ×10 up, not down, and spend without impressions', () => {
    expect(detectAnomaly([row(1, 5000, 50, 1_000_000), row(2, 5000, 50, 10_000_000)])?.note).toMatch(
      /spend jumped ×10\.0/,
    );
    expect(detectAnomaly([row(1, 5000, 50, 10_000_000), row(2, 5000, 50, 100_000)])).toBeUndefined();
    // A new day after a budget ran out: the hour before spent its last micros, the new hour spends
    // as the busy hours did — no jump. Ten times the busiest earlier hour still is one.
    const day = [row(1, 5000, 50, 2_000_000), row(2, 4000, 40, 1_800_000), row(3, 10, 0, 7_000)];
    expect(detectAnomaly([...day, row(4, 5000, 50, 2_000_000)])).toBeUndefined();
    expect(detectAnomaly([...day, row(4, 50_000, 500, 20_000_000)])?.note).toMatch(
      /spend jumped ×10\.0 against the busiest earlier period/,
    );
    expect(detectAnomaly([row(1, 5000, 50), row(2, 0, 0, 5000)])?.note).toMatch(
      /spent 5000 micros without impressions/,
    );
  });
});
