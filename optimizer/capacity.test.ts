import { describe, expect, it } from 'vitest';
import type { ArmStats } from './arm-stats.ts';
import { dailyCapacity, fitToCapacity } from './capacity.ts';

const H = 3_600_000;
const DAY0 = Date.UTC(2026, 0, 5);
/** The cycle's time: a week after DAY0, so the lookback covers every row. */
const END = DAY0 + 7 * 24 * H;

function row(armId: string, hour: number, spendMicros: number, periodHours = 1): ArmStats {
  const start = DAY0 + hour * H;
  return {
    armId,
    periodStartMs: start,
    periodEndMs: start + periodHours * H,
    impressions: 0,
    clicks: 0,
    conversions: 0,
    spendMicros,
    valueMicros: 0,
  };
}

/** `days` days of an arm spending `perHour(hourOfDay)`; hours where it returns 0 have no row. */
function days(armId: string, count: number, perHour: (hod: number, day: number) => number): ArmStats[] {
  const out: ArmStats[] = [];
  for (let d = 0; d < count; d++)
    for (let h = 0; h < 24; h++) {
      const s = perHour(h, d);
      if (s > 0) out.push(row(armId, d * 24 + h, s));
    }
  return out;
}

describe('dailyCapacity', () => {
  it('sums the hours of the day of an arm that never ran out', () => {
    const rows = days('a', 2, (h) => 1000 + h);
    expect(dailyCapacity(rows, ['a'], END)).toEqual([24 * 1000 + 276]);
  });

  it('averages each hour of the day over the days it was counted', () => {
    const rows = days('a', 2, (_h, d) => (d === 0 ? 1000 : 3000));
    // The last hour of the window has no next hour: only day 0's hour 23 counts.
    expect(dailyCapacity(rows, ['a'], END)).toEqual([23 * 2000 + 1000]);
  });

  it('leaves out the hour an arm ran out in; up to 6 hours of the day never counted are taken at the busiest one', () => {
    // Out of budget at 18:30 every day: 18:00 is partial, 19–23 have no spend.
    const rows = days('a', 3, (h) => (h < 18 ? 1000 + h : h === 18 ? 400 : 0));
    expect(dailyCapacity(rows, ['a'], END)).toEqual([18 * 1000 + 153 + 6 * 1017]);
  });

  it('has no capacity when more than 6 hours of the day were never counted', () => {
    // Out of budget at 17:30 every day.
    const rows = days('a', 3, (h) => (h < 17 ? 1000 : h === 17 ? 400 : 0));
    expect(dailyCapacity(rows, ['a'], END)).toEqual([undefined]);
  });

  it('counts an hour of the day from any day it was not cut short', () => {
    // Ran out at 18:30 on day 0, spent all day on day 1 (and the first hour of day 2).
    const rows = [
      ...days('a', 2, (h, d) => (d === 0 ? (h < 18 ? 1000 : h === 18 ? 400 : 0) : 2000)),
      row('a', 48, 2000),
    ];
    // Hours 0–17: mean of 1000 and 2000; 18–23: day 1 only.
    expect(dailyCapacity(rows, ['a'], END)).toEqual([18 * 1500 + 6 * 2000]);
  });

  it('uses only the week before the cycle', () => {
    // Day 0 at 1000 an hour, day 8 at 3000: a cycle at the end of day 8 looks back to the start of day 2.
    const rows = [...days('a', 1, () => 1000), ...days('a', 9, (_h, d) => (d === 8 ? 3000 : 0))];
    expect(dailyCapacity(rows, ['a'], DAY0 + 9 * 24 * H)).toEqual([23 * 3000 + 3000]);
  });

  it('gives undefined for arms without rows or with periods other than an hour', () => {
    const rows = [...days('a', 2, () => 1000), row('b', 0, 5000, 24), row('b', 24, 5000, 24)];
    expect(dailyCapacity(rows, ['b', 'c'], END)).toEqual([undefined, undefined]);
  });
});

describe('fitToCapacity', () => {
  it('holds an arm to its capacity and moves the rest to the others by their budgets', () => {
    const fit = fitToCapacity([9000, 600, 400], [7000, undefined, undefined], [true, true, true]);
    expect(fit.budgets).toEqual([7000, 1800, 1200]);
    expect(fit.movedMicros).toBe(2000);
    expect(fit.limited).toEqual([0]);
  });

  it('repeats when a receiving arm goes over its own capacity', () => {
    const fit = fitToCapacity([8000, 1000, 1000], [5000, 2000, undefined], [true, true, true]);
    expect(fit.budgets).toEqual([5000, 2000, 3000]);
    expect(fit.limited).toEqual([0, 1]);
    expect(fit.budgets.reduce((a, b) => a + b)).toBe(10_000);
  });

  it('keeps the total when every arm is at its capacity, and ineligible arms at 0', () => {
    const fit = fitToCapacity([6000, 4000, 0], [3000, 2000, undefined], [true, true, false]);
    expect(fit.budgets.reduce((a, b) => a + b)).toBe(10_000);
    expect(fit.budgets[2]).toBe(0);
    expect(fit.budgets).toEqual([6000, 4000, 0]);
    expect(fit.movedMicros).toBe(0);
  });

  it('changes nothing when every budget is within capacity', () => {
    const fit = fitToCapacity([6000, 4000], [7000, undefined], [true, true]);
    expect(fit).toEqual({ budgets: [6000, 4000], movedMicros: 0, limited: [] });
  });
});
