import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import {
  type ClickHouse,
  migrate,
  parseReportRequest,
  REPORTS,
  refreshHourlyRollup,
  runReport,
} from '../../reporting/index.ts';

const T = Date.UTC(2026, 10, 22, 10);
const HOUR = 3_600_000;

type Ev = Record<string, string | number>;

function rows(type: string, n: number, atMs: number, extra: Ev, prefix: string): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      event_id: `${type}:${prefix}${i}`,
      type,
      ts: Math.floor((atMs + i) / 1000),
      ts_ms: atMs + i,
      bid_id: `${prefix}${i}`,
      ...extra,
    });
  }
  return out;
}

/**
 * Creative A/B: line item li1, creative A 50 clicks / 1000 billed impressions, creative B 20 / 1000.
 * Spend 1,000 micros per billed impression, in two hours of one day; no-bids of two reasons.
 */
function dataset(): Ev[] {
  const dims = (cr: string) => ({
    campaign_id: 'c1',
    line_item_id: 'li1',
    creative_id: cr,
    exchange: 'x1',
    segment: 's1',
  });
  return [
    ...rows('billing', 600, T, { ...dims('A'), spend_micros: 1_000 }, 'a'),
    ...rows('billing', 400, T + HOUR, { ...dims('A'), spend_micros: 1_000 }, 'a2-'),
    ...rows('click', 50, T + 60_000, dims('A'), 'a'),
    ...rows('billing', 1000, T, { ...dims('B'), spend_micros: 1_000 }, 'b'),
    ...rows('click', 20, T + 60_000, dims('B'), 'b'),
    ...rows('bid', 3000, T, dims('A'), 'bid'),
    ...rows('nobid', 30, T, { reason: 'NO_MATCHING_LINE_ITEM' }, 'n'),
    ...rows('nobid', 10, T, { reason: 'BELOW_FLOOR' }, 'm'),
  ];
}

/** Every report of reporting/queries/ on one engine: it runs, returns its documented columns, and counts exactly. */
export function reportQueriesContract(label: string, open: () => Promise<ClickHouse>): void {
  describe(`report queries: ${label}`, () => {
    let ch: ClickHouse;
    const clock = new ManualClock(T + 3 * HOUR);
    beforeAll(async () => {
      ch = await open();
      await migrate(ch, { clock });
      const data = dataset();
      await ch.insert('events', data);
      await ch.insert('events', data.slice(0, 500)); // a replayed batch: must not count twice
      await refreshHourlyRollup(ch, { fromMs: T, toMs: T + 2 * HOUR }, clock);
    }, 60_000);
    afterAll(async () => {
      await ch?.close();
    });
    const run = (name: string, q: Record<string, string> = {}) =>
      runReport(ch, parseReportRequest(name, { from: '2026-11-22', to: '2026-11-23', ...q }));

    it('every report runs and returns exactly its documented columns', async () => {
      for (const def of REPORTS.values()) {
        const out = await run(def.name);
        for (const row of out) expect(Object.keys(row), def.name).toEqual(def.columns);
      }
    });

    it('delivery: per hour, with the running spend of the day', async () => {
      expect(await run('delivery')).toEqual([
        {
          period: '2026-11-22 10:00:00',
          campaign_id: 'c1',
          bids: 3000,
          wins: 0,
          billed: 1600,
          impressions: 0,
          clicks: 70,
          spend_micros: 1_600_000,
          win_rate: 0,
          cumulative_spend_micros: 1_600_000,
        },
        {
          period: '2026-11-22 11:00:00',
          campaign_id: 'c1',
          bids: 0,
          wins: 0,
          billed: 400,
          impressions: 0,
          clicks: 0,
          spend_micros: 400_000,
          win_rate: 0,
          cumulative_spend_micros: 2_000_000,
        },
      ]);
    });

    it('performance by creative: CTR, CPA and ROAS with zero denominators as 0', async () => {
      expect(await run('performance', { dimension: 'creative' })).toEqual([
        {
          key: 'A',
          impressions: 1000,
          clicks: 50,
          conversions: 0,
          spend_micros: 1_000_000,
          value_micros: 0,
          ctr: 0.05,
          cvr: 0,
          cpa_micros: 0,
          roas: 0,
        },
        {
          key: 'B',
          impressions: 1000,
          clicks: 20,
          conversions: 0,
          spend_micros: 1_000_000,
          value_micros: 0,
          ctr: 0.02,
          cvr: 0,
          cpa_micros: 0,
          roas: 0,
        },
      ]);
    });

    it('creative A/B: 95 % Wilson intervals (reference values), and B is below the leader', async () => {
      const [a, b] = await run('creative_ab', { line_item_id: 'li1' });
      expect(a).toMatchObject({ creative_id: 'A', impressions: 1000, clicks: 50, ctr_below_leader: false });
      expect(b).toMatchObject({ creative_id: 'B', impressions: 1000, clicks: 20, ctr_below_leader: true });
      // Wilson score interval, z = 1.959964: 50/1000 → [0.038130, 0.065314]; 20/1000 → [0.012984, 0.030690].
      expect(a!.ctr_low as number).toBeCloseTo(0.03813026239274881, 12);
      expect(a!.ctr_high as number).toBeCloseTo(0.06531382024425081, 12);
      expect(b!.ctr_low as number).toBeCloseTo(0.012983682916415135, 12);
      expect(b!.ctr_high as number).toBeCloseTo(0.030690005229717782, 12);
    });

    it('no-bid reasons with their shares', async () => {
      expect(await run('nobid_reasons', { grain: 'day' })).toEqual([
        { period: '2026-11-22 00:00:00', reason: 'NO_MATCHING_LINE_ITEM', nobids: 30, share: 0.75 },
        { period: '2026-11-22 00:00:00', reason: 'BELOW_FLOOR', nobids: 10, share: 0.25 },
      ]);
    });

    it('ids are bound, never spliced into the SQL', async () => {
      expect(await run('funnel', { campaign_id: "c1' OR '1'='1" })).toEqual([]);
      expect(await run('funnel', { campaign_id: 'c1' })).toHaveLength(1);
    });
  });
}
