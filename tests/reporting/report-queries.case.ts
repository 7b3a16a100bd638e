import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import {
  type ClickHouse,
  migrate,
  parseReportRequest,
  REPORTS,
  refreshRollups,
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
 * Spend 1,000 micros per billed impression, in two hours of one day; no-bids of two reasons. Around
 * that day, for ranges that read whole days from the daily rollups and edge hours from the hourly
 * ones: campaign c2 and more no-bids at 22:00 the day before and at 01:00 the day after.
 */
function dataset(): Ev[] {
  const dims = (cr: string) => ({
    campaign_id: 'c1',
    line_item_id: 'li1',
    creative_id: cr,
    exchange: 'x1',
    segment: 's1',
  });
  const dims2 = { campaign_id: 'c2', line_item_id: 'li2', creative_id: 'C', exchange: 'x1', segment: 's1' };
  return [
    ...rows('billing', 600, T, { ...dims('A'), spend_micros: 1_000 }, 'a'),
    ...rows('billing', 400, T + HOUR, { ...dims('A'), spend_micros: 1_000 }, 'a2-'),
    ...rows('click', 50, T + 60_000, dims('A'), 'a'),
    ...rows('billing', 1000, T, { ...dims('B'), spend_micros: 1_000 }, 'b'),
    ...rows('click', 20, T + 60_000, dims('B'), 'b'),
    ...rows('bid', 3000, T, dims('A'), 'bid'),
    ...rows('nobid', 30, T, { reason: 'NO_MATCHING_LINE_ITEM' }, 'n'),
    ...rows('nobid', 10, T, { reason: 'BELOW_FLOOR' }, 'm'),
    ...rows('bid', 5, T - 12 * HOUR, dims2, 'pb'),
    ...rows('billing', 2, T - 12 * HOUR, { ...dims2, spend_micros: 1_000 }, 'pb'),
    ...rows('nobid', 4, T - 12 * HOUR, { reason: 'BELOW_FLOOR' }, 'pn'),
    ...rows('bid', 7, T + 15 * HOUR, dims2, 'nb'),
    ...rows('billing', 3, T + 15 * HOUR, { ...dims2, spend_micros: 1_000 }, 'nb'),
    ...rows('nobid', 6, T + 15 * HOUR, { reason: 'BUDGET_EXHAUSTED' }, 'nn'),
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
      const nobids = data.filter((e) => e.type === 'nobid');
      await ch.insert('events', nobids); // replayed too
      // A no-bid retried 90 minutes later (next hour): counted once, in its first hour.
      await ch.insert('events', [{ ...nobids[0]!, ts: (T + 90 * 60_000) / 1000, ts_ms: T + 90 * 60_000 }]);
      await refreshRollups(ch, { fromMs: T - 12 * HOUR, toMs: T + 16 * HOUR }, clock);
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

    it('no-bid reasons per hour count the first copy of each no-bid', async () => {
      expect(await run('nobid_reasons', { grain: 'hour' })).toEqual([
        { period: '2026-11-22 10:00:00', reason: 'NO_MATCHING_LINE_ITEM', nobids: 30, share: 0.75 },
        { period: '2026-11-22 10:00:00', reason: 'BELOW_FLOOR', nobids: 10, share: 0.25 },
      ]);
    });

    // [from, to) with whole days (read from the daily rollups) and edge hours (from the hourly ones).
    const RANGES = [
      ['2026-11-21', '2026-11-24'], // three whole days
      ['2026-11-21T22:00:00Z', '2026-11-23T02:00:00Z'], // edges hold the c2 events
      ['2026-11-21T23:00:00Z', '2026-11-23T01:00:00Z'], // edges just miss them
      ['2026-11-22T10:30:00Z', '2026-11-22T11:00:00Z'], // inside one hour: empty
      ['2026-11-22T11:00:00Z', '2026-11-23T02:00:00Z'], // no whole day
    ] as const;

    it('grain day sums the hours exactly, whatever the edges of the range', async () => {
      const byDay = (hourly: Record<string, unknown>[], key: string, sums: string[]) => {
        const out = new Map<string, Record<string, unknown>>();
        for (const r of hourly) {
          const k = `${String(r[key])}|${String(r.period).slice(0, 10)}`;
          const cur = out.get(k) ?? { period: `${String(r.period).slice(0, 10)} 00:00:00`, [key]: r[key] };
          for (const c of sums) cur[c] = Number(cur[c] ?? 0) + Number(r[c]);
          out.set(k, cur);
        }
        return [...out.values()];
      };
      const pick = (rs: Record<string, unknown>[], cols: string[]) =>
        rs.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])));
      const deliverySums = ['bids', 'wins', 'billed', 'impressions', 'clicks', 'spend_micros'];
      for (const [from, to] of RANGES) {
        const range = { from, to };
        const days = await run('delivery', { ...range, grain: 'day' });
        const hours = await run('delivery', { ...range, grain: 'hour' });
        expect(pick(days, ['period', 'campaign_id', ...deliverySums]), `${from} → ${to}`).toEqual(
          byDay(hours, 'campaign_id', deliverySums),
        );
        const nobidKey = (r: Record<string, unknown>) => `${String(r.period)}|${String(r.reason)}`;
        const nobidDays = await run('nobid_reasons', { ...range, grain: 'day' });
        const nobidHours = byDay(await run('nobid_reasons', { ...range, grain: 'hour' }), 'reason', [
          'nobids',
        ]);
        expect(
          pick(nobidDays, ['period', 'reason', 'nobids']).sort((a, b) =>
            nobidKey(a).localeCompare(nobidKey(b)),
          ),
          `${from} → ${to}`,
        ).toEqual(nobidHours.sort((a, b) => nobidKey(a).localeCompare(nobidKey(b))));
      }
    });

    it('whole days and edge hours add up exactly in every report', async () => {
      const [whole, edges, missed, empty, partial] = RANGES.map(([from, to]) => ({ from, to }));
      const c2 = { campaign_id: 'c2', wins: 0, impressions: 0, clicks: 0, win_rate: 0 };
      expect(await run('delivery', { ...whole!, grain: 'day' })).toEqual([
        {
          period: '2026-11-22 00:00:00',
          campaign_id: 'c1',
          bids: 3000,
          wins: 0,
          billed: 2000,
          impressions: 0,
          clicks: 70,
          spend_micros: 2_000_000,
          win_rate: 0,
          cumulative_spend_micros: 2_000_000,
        },
        {
          ...c2,
          period: '2026-11-21 00:00:00',
          bids: 5,
          billed: 2,
          spend_micros: 2_000,
          cumulative_spend_micros: 2_000,
        },
        {
          ...c2,
          period: '2026-11-23 00:00:00',
          bids: 7,
          billed: 3,
          spend_micros: 3_000,
          cumulative_spend_micros: 3_000,
        },
      ]);
      expect(
        (await run('delivery', { ...edges!, grain: 'day' })).map((r) => [r.period, r.campaign_id, r.bids]),
      ).toEqual([
        ['2026-11-22 00:00:00', 'c1', 3000],
        ['2026-11-21 00:00:00', 'c2', 5],
        ['2026-11-23 00:00:00', 'c2', 7],
      ]);
      const spend = async (name: string, range: { from: string; to: string }, key: string) =>
        (await run(name, { ...range, ...(name === 'performance' ? { dimension: 'campaign' } : {}) })).map(
          (r) => [r[key], r.spend_micros ?? r.impressions],
        );
      expect(await spend('performance', whole!, 'key')).toEqual([
        ['c1', 2_000_000],
        ['c2', 5_000],
      ]);
      expect(await spend('performance', edges!, 'key')).toEqual([
        ['c1', 2_000_000],
        ['c2', 5_000],
      ]);
      expect(await spend('performance', missed!, 'key')).toEqual([['c1', 2_000_000]]);
      expect(await spend('performance', empty!, 'key')).toEqual([]);
      expect(await spend('performance', partial!, 'key')).toEqual([
        ['c1', 400_000],
        ['c2', 3_000],
      ]);
      const billed = async (range: { from: string; to: string }) =>
        (await run('creative_ab', range)).map((r) => [r.creative_id, r.impressions, r.clicks]);
      expect(await billed(whole!)).toEqual([
        ['A', 1000, 50],
        ['B', 1000, 20],
        ['C', 5, 0],
      ]);
      expect(await billed(missed!)).toEqual([
        ['A', 1000, 50],
        ['B', 1000, 20],
      ]);
      expect(await billed(partial!)).toEqual([
        ['A', 400, 0],
        ['C', 3, 0],
      ]);
      const funnel = async (range: { from: string; to: string }) =>
        (await run('funnel', range)).map((r) => [r.campaign_id, r.clicks]);
      expect(await funnel(edges!)).toEqual([
        ['c1', 70],
        ['c2', 0],
      ]);
      expect(await funnel(partial!)).toEqual([
        ['c1', 0],
        ['c2', 0],
      ]);
      const nobids = async (range: { from: string; to: string }) =>
        (await run('nobid_reasons', { ...range, grain: 'day' })).map((r) => [r.period, r.reason, r.nobids]);
      expect(await nobids(whole!)).toEqual([
        ['2026-11-21 00:00:00', 'BELOW_FLOOR', 4],
        ['2026-11-22 00:00:00', 'NO_MATCHING_LINE_ITEM', 30],
        ['2026-11-22 00:00:00', 'BELOW_FLOOR', 10],
        ['2026-11-23 00:00:00', 'BUDGET_EXHAUSTED', 6],
      ]);
      expect(await nobids(missed!)).toEqual([
        ['2026-11-22 00:00:00', 'NO_MATCHING_LINE_ITEM', 30],
        ['2026-11-22 00:00:00', 'BELOW_FLOOR', 10],
      ]);
      expect(await nobids(empty!)).toEqual([]);
    });

    it('ids are bound, never spliced into the SQL', async () => {
      expect(await run('funnel', { campaign_id: "c1' OR '1'='1" })).toEqual([]);
      expect(await run('funnel', { campaign_id: 'c1' })).toHaveLength(1);
    });
  });
}
