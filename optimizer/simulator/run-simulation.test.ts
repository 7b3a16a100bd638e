import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulationWorld } from '../../bin/simulate.ts';
import { readHourlyRollup } from '../../reporting/index.ts';
import { SIM_START_MS } from './market.ts';
import { runSimulation } from './run-simulation.ts';
import type { Scenario } from './scenario.ts';
import { SimulatedClickHouse } from './simulated-clickhouse.ts';

const HOUR = 3_600_000;

/** One day of a value campaign with enough conversions to count, and ClickHouse down from 06:00 to 09:00. */
const SCENARIO: Scenario = {
  name: 'value through ClickHouse',
  days: 1,
  requestsPerHour: 150,
  auction: 'second',
  campaign: { dailyBudgetMicros: 250_000, goal: 'value' },
  segments: [
    {
      id: 'good',
      share: 1,
      competitor: { medianCpm: 1.5, sigma: 0.4 },
      bidCpm: 2,
      creatives: { a: { ctr: 0.2, cvr: 0.5, valueMicros: 5_000_000 } },
    },
    {
      id: 'poor',
      share: 1,
      competitor: { medianCpm: 1.5, sigma: 0.4 },
      bidCpm: 2,
      creatives: { a: { ctr: 0.1, cvr: 0.3, valueMicros: 5_000_000 } },
    },
  ],
  outages: [{ fromHour: 6, toHour: 9 }],
};

describe('runSimulation on embedded ClickHouse', () => {
  let clickhouse: SimulatedClickHouse;
  beforeAll(async () => {
    clickhouse = await SimulatedClickHouse.open();
  });
  afterAll(() => clickhouse.close());

  it('feeds the optimizer from the hourly rollup of the bidder’s events, and falls back while ClickHouse is down', {
    timeout: 60_000,
  }, async () => {
    const world = await simulationWorld(clickhouse);
    const lines: string[] = [];
    try {
      const r = await runSimulation(SCENARIO, 5, 'optimizer', world, undefined, (l) => lines.push(l));
      // The cycles at 06:00, 07:00 and 08:00 could read nothing: fallback, each logged with its cause.
      expect(r.fallbacks).toBe(3);
      expect(lines.filter((l) => l.includes('optimizer fallback'))).toEqual([
        expect.stringMatching(/^hour 6: optimizer fallback: .*stats reader failed: .*unavailable/),
        expect.stringMatching(/^hour 7: optimizer fallback: /),
        expect.stringMatching(/^hour 8: optimizer fallback: /),
      ]);
      expect(lines.filter((l) => l.includes('CH_QUERY'))).toHaveLength(3);
      expect(r.allocations).toBe(23);
      expect(r.conversions).toBeGreaterThan(5);

      // What the last cycle read is what the bidder recorded: impressions from the pixel, clicks
      // from the click redirect, conversions attributed to their click, spend from billing — the
      // outage hours included (spooled, delivered and rolled up once ClickHouse was back).
      world.advance(SIM_START_MS + 24 * HOUR - world.clock.now());
      expect(await world.reporting.refresh()).toBeUndefined();
      const rows = await readHourlyRollup(world.reporting.ch, {
        fromMs: SIM_START_MS,
        toMs: SIM_START_MS + 24 * HOUR,
      });
      const sum = (k: 'impressions' | 'clicks' | 'conversions' | 'value_micros' | 'spend_micros') =>
        rows.reduce((a, row) => a + Number(row[k]), 0);
      const hours = new Set(rows.map((row) => row.hour));
      for (const h of ['06', '07', '08']) expect(hours).toContain(`2026-01-05 ${h}:00:00`);
      expect(sum('impressions')).toBe(r.wins);
      expect(sum('clicks')).toBe(r.clicks);
      expect(sum('conversions')).toBe(r.conversions);
      expect(sum('value_micros')).toBe(r.valueMicros);
      expect(Math.abs(sum('spend_micros') - r.spendMicros)).toBeLessThanOrEqual(r.wins);
    } finally {
      await world.close();
    }
  });
});
