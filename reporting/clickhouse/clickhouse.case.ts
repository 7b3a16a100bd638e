import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import { MIGRATIONS_DIR, migrate } from '../migrations/migrate.ts';
import { EVENT_COLUMNS, toEventRow, toEventTsv } from '../sink/event-row.ts';
import type { ReportingEvent } from '../sink/reporting-event.ts';
import type { ClickHouse } from './clickhouse.ts';
import { backfillRollups, readHourlyRollup, refreshHourlyRollup, refreshRollups } from './hourly-rollup.ts';

/** Opens a handle on a fresh, empty database named `database`. */
export type OpenClickHouse = (database: string) => Promise<ClickHouse>;

const HOSTILE = [
  "'; DROP TABLE t; --",
  "\\'",
  '\\',
  "''",
  '{x:String}',
  '{name:UInt8}',
  'line\nbreak\r\ttab',
  'nul\0byte',
  '\b\f',
  'ünïcødé ✓ 🚀',
  '"double" `back`',
  "\\'); SELECT 1; --",
  '',
];

const T0_MS = Date.UTC(2026, 0, 31, 23, 30); // 30 min before a month boundary

interface Row {
  event_id: string;
  type: string;
  ts: number;
  ts_ms: number;
  campaign_id: string;
  line_item_id: string;
  creative_id: string;
  segment: string;
  exchange: string;
  spend_micros?: number;
  value_micros?: number;
}

function row(id: string, type: string, atMs: number, extra: Partial<Row> = {}): Row {
  return {
    event_id: id,
    type,
    ts: Math.floor(atMs / 1000),
    ts_ms: atMs,
    campaign_id: 'c1',
    line_item_id: 'li1',
    creative_id: 'cr1',
    segment: 'seg-a',
    exchange: 'x1',
    ...extra,
  };
}

/** The shared contract of every `ClickHouse` driver: same SQL, same answers. */
export function clickhouseContract(name: string, open: OpenClickHouse): void {
  describe(`ClickHouse contract: ${name}`, () => {
    let ch: ClickHouse;
    let n = 0;
    const clock = new ManualClock(T0_MS);
    beforeEach(async () => {
      n++;
      ch = await open(`t_${process.pid}_${n}`);
    });
    afterEach(async () => {
      await ch.close();
    });

    it('creates, inserts and selects with bound parameters', async () => {
      await ch.exec(
        'CREATE TABLE IF NOT EXISTS kv (k String, n Int64, u UInt64, f Float64, d Date, t DateTime, a Array(String)) ENGINE = MergeTree ORDER BY k',
      );
      await ch.insert('kv', [
        { k: 'a', n: -5, u: 7, f: 0.25, d: '2026-01-31', t: 1_769_900_000, a: ['x', "y'"] },
        { k: 'b', n: 9_007_199_254_740_991, u: 0, f: -1.5, d: '2026-02-01', t: 1_769_990_000, a: [] },
      ]);
      const rows = await ch.query<{
        k: string;
        n: number;
        u: number;
        f: number;
        d: string;
        t: string;
        a: string[];
      }>(
        'SELECT k, n, u, f, d, t, a FROM kv WHERE k IN ({k1:String}, {k2:String}) AND n >= {min:Int64} ORDER BY k',
        { k1: 'a', k2: 'b', min: -5 },
      );
      expect(rows).toEqual([
        { k: 'a', n: -5, u: 7, f: 0.25, d: '2026-01-31', t: '2026-01-31 22:53:20', a: ['x', "y'"] },
        { k: 'b', n: 9_007_199_254_740_991, u: 0, f: -1.5, d: '2026-02-01', t: '2026-02-01 23:53:20', a: [] },
      ]);
      const [byTime] = await ch.query<{ c: number }>(
        'SELECT count() AS c FROM kv WHERE t >= {from:DateTime} AND d = {d:Date} AND has({tags:Array(String)}, k)',
        { from: new Date(1_769_900_000_000), d: '2026-01-31', tags: ['a', 'zzz'] },
      );
      expect(byTime).toEqual({ c: 1 });
      const [none] = await ch.query<{ c: number }>(
        'SELECT count() AS c FROM kv WHERE has({tags:Array(String)}, k)',
        {
          tags: [],
        },
      );
      expect(none).toEqual({ c: 0 });
    });

    it('round-trips hostile strings through String and Array(String) parameters unchanged', async () => {
      for (const s of HOSTILE) {
        const [r] = await ch.query<{ s: string; a: string[]; len: number }>(
          'SELECT {s:String} AS s, {a:Array(String)} AS a, length({s:String}) AS len',
          { s, a: [s, s] },
        );
        expect(r).toEqual({ s, a: [s, s], len: Buffer.byteLength(s) });
      }
      await ch.exec('CREATE TABLE IF NOT EXISTS h (s String) ENGINE = MergeTree ORDER BY s');
      await ch.insert(
        'h',
        HOSTILE.map((s) => ({ s })),
      );
      const [hit] = await ch.query<{ c: number }>('SELECT count() AS c FROM h WHERE s = {s:String}', {
        s: "'; DROP TABLE t; --",
      });
      expect(hit).toEqual({ c: 1 });
      const [all] = await ch.query<{ c: number }>('SELECT count() AS c FROM h');
      expect(all).toEqual({ c: HOSTILE.length });
    });

    it('inserts a JSONEachRow payload given as a string, a buffer, or parts of one insert', async () => {
      await ch.exec('CREATE TABLE IF NOT EXISTS j (k String, n Int64) ENGINE = MergeTree ORDER BY k');
      await ch.insertPayload('j', '{"k":"a","n":1}\n');
      await ch.insertPayload('j', Buffer.from('{"k":"b","n":2}\n{"k":"c","n":3}\n'));
      await ch.insertPayload('j', [Buffer.from('{"k":"d","n":4}\n'), Buffer.from('{"k":"e","n":5}\n')]);
      await ch.insertPayload('j', []);
      expect(await ch.query('SELECT count() AS c, sum(n) AS s FROM j')).toEqual([{ c: 5, s: 15 }]);
    });

    it('takes event rows as the sink spools them (TabSeparated, named columns): hostile text, NULLs, epoch seconds', async () => {
      await migrate(ch, { clock: new ManualClock(T0_MS) });
      const events: ReportingEvent[] = HOSTILE.map((text, i) => ({
        type: 'bid',
        ts: T0_MS + i * 1_001,
        requestId: text,
        bidId: `b${i}`,
        impId: '1',
        lineItemId: 'li',
        campaignId: 'c',
        creativeId: text,
        priceMicros: 1_500_000 + i,
        currency: 'USD',
        exchange: text,
        dealId: undefined,
        segment: text,
        pctr: i % 2 === 0 ? 1e-7 * (i + 1) : undefined,
        pcvr: undefined,
        ...(i % 2 === 0 ? { propensity: 0.25 } : {}),
      }));
      events.push(
        {
          type: 'loss',
          ts: T0_MS,
          bidId: 'b0',
          impId: '1',
          lineItemId: 'li',
          campaignId: 'c',
          creativeId: 'x',
          clearingMicros: undefined,
          lossCode: 102,
        },
        { type: 'conversion', ts: T0_MS, conversionId: 'o1', clickId: 'k\t1', valueMicros: -5, userKey: 'u' },
        {
          type: 'optimizer_decision',
          ts: T0_MS,
          decisionId: 'd1',
          strategy: 'ts',
          reason: 'normal',
          payload: { note: 'a\tb\nc' },
        },
      );
      const lines = events.map(toEventTsv);
      // Two parts of one insert, as the sink coalesces spooled batches.
      await ch.insertPayload(
        'events',
        [Buffer.from(lines.slice(0, 5).join('')), Buffer.from(lines.slice(5).join(''))],
        {
          format: 'TabSeparated',
          columns: EVENT_COLUMNS,
        },
      );
      const stored = await ch.query<Record<string, unknown>>(
        `SELECT ${EVENT_COLUMNS.map((c) => (c === 'ts' ? 'toUInt32(ts) AS ts' : c)).join(', ')} FROM events ORDER BY event_id`,
      );
      const expected = events
        .map((e) => {
          const r = toEventRow(e);
          const full: Record<string, unknown> = {};
          for (const c of EVENT_COLUMNS) {
            const nullable = c === 'loss_code' || c === 'propensity' || c === 'pctr' || c === 'pcvr';
            const numeric = nullable || /^(ts|ts_ms|.*_micros)$/.test(c);
            full[c] = r[c] ?? (nullable ? null : numeric ? 0 : '');
          }
          return full;
        })
        .sort((a, b) => ((a.event_id as string) < (b.event_id as string) ? -1 : 1));
      expect(stored).toEqual(expected);
      await expect(
        ch.insertPayload('events', 'x\n', { format: 'TabSeparated', columns: ['event_id) SELECT 1 --'] }),
      ).rejects.toMatchObject({ code: 'CH_BAD_PARAM' });
    });

    it('rejects bad parameters with CH_BAD_PARAM before the engine sees them', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['SELECT {n:UInt8} AS n', { n: 256 }],
        ['SELECT {n:UInt64} AS n', { n: -1 }],
        ['SELECT {n:Int64} AS n', { n: 1.5 }],
        ['SELECT {n:Int32} AS n', { n: '1; DROP TABLE x' }],
        ['SELECT {f:Float64} AS f', { f: Number.NaN }],
        ['SELECT {s:String} AS s', { s: 5 }],
        ['SELECT {s:String} AS s', {}],
        ['SELECT {d:Date} AS d', { d: "2026-01-01' OR 1" }],
        ['SELECT {t:DateTime} AS t', { t: -1 }],
        ['SELECT {a:Array(String)} AS a', { a: ['x', 1] }],
        ['SELECT {x:Decimal(9, 2)} AS x', { x: 1 }],
      ];
      for (const [sql, params] of cases) {
        await expect(ch.query(sql, params as never), sql).rejects.toMatchObject({ code: 'CH_BAD_PARAM' });
      }
    });

    it('reports engine failures with CH_QUERY / CH_INSERT and use after close with CH_CLOSED', async () => {
      await expect(ch.query('SELEC 1')).rejects.toMatchObject({ code: 'CH_QUERY' });
      await expect(ch.exec('CREATE TABLE nope (x UInt8) ENGINE = NoSuchEngine')).rejects.toMatchObject({
        code: 'CH_QUERY',
      });
      await expect(ch.insert('missing_table', [{ x: 1 }])).rejects.toMatchObject({ code: 'CH_INSERT' });
      await ch.close();
      await expect(ch.query('SELECT 1')).rejects.toMatchObject({ code: 'CH_CLOSED' });
    });

    it('migrates idempotently and refuses an applied migration that changed', async () => {
      const first = await migrate(ch, { clock });
      expect(first.applied.map((m) => `${m.version}_${m.name}`)).toEqual([
        '1_events',
        '2_events_hourly_live',
        '3_events_hourly',
        '4_events_user_key',
        '5_attributions',
        '6_events_daily',
        '7_nobids',
      ]);
      const second = await migrate(ch, { clock });
      expect(second).toEqual({ applied: [], alreadyApplied: 7 });
      const recorded = await ch.query<{ version: number; name: string; applied_at: string }>(
        'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
      );
      expect(recorded).toEqual([
        { version: 1, name: 'events', applied_at: '2026-01-31 23:30:00' },
        { version: 2, name: 'events_hourly_live', applied_at: '2026-01-31 23:30:00' },
        { version: 3, name: 'events_hourly', applied_at: '2026-01-31 23:30:00' },
        { version: 4, name: 'events_user_key', applied_at: '2026-01-31 23:30:00' },
        { version: 5, name: 'attributions', applied_at: '2026-01-31 23:30:00' },
        { version: 6, name: 'events_daily', applied_at: '2026-01-31 23:30:00' },
        { version: 7, name: 'nobids', applied_at: '2026-01-31 23:30:00' },
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'outbid-migrations-'));
      try {
        cpSync(MIGRATIONS_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
        writeFileSync(
          join(dir, '099_extra.sql'),
          'CREATE TABLE IF NOT EXISTS extra (x UInt8) ENGINE = MergeTree ORDER BY x;\n',
        );
        expect((await migrate(ch, { clock, dir })).applied.map((m) => m.name)).toEqual(['extra']);
        writeFileSync(join(dir, '001_events.sql'), '-- edited\nSELECT 1;\n');
        await expect(migrate(ch, { clock, dir })).rejects.toMatchObject({ code: 'CH_MIGRATION_CHANGED' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    describe('events with duplicates', () => {
      const HOUR = 3_600_000;
      const rows = [
        row('bid:b1', 'bid', T0_MS),
        row('bid:b2', 'bid', T0_MS + 1_000, { campaign_id: 'c2' }),
        row('billing:b1', 'billing', T0_MS + 2_000, { spend_micros: 1_500 }),
        row('billing:b2', 'billing', T0_MS + 3_000, { spend_micros: 2_250, campaign_id: 'c2' }),
        row('impression:b1', 'impression', T0_MS + 4_000),
        row('click:k1', 'click', T0_MS + 5_000),
        row('conversion:b1', 'conversion', T0_MS + 6_000, { value_micros: 40_000_000 }),
      ];
      // The same batch again (a replay after a lost acknowledgement), plus a billing notice the
      // exchange retried 31 minutes later: same derived id, next hour, next month.
      const retried = row('billing:b1', 'billing', T0_MS + 31 * 60_000, { spend_micros: 1_500 });

      beforeEach(async () => {
        await migrate(ch, { clock });
        await ch.insert('events', rows);
        await ch.insert('events', rows);
        await ch.insert('events', [retried]);
      });

      it('counts and sums exactly when deduplicating by event_id (GROUP BY), whatever the partitions', async () => {
        const [exact] = await ch.query(
          `SELECT count() AS events, sum(spend) AS spend, sum(value) AS value, countIf(type = 'billing') AS billed
           FROM (SELECT event_id, argMin(type, ts_ms) AS type, argMin(spend_micros, ts_ms) AS spend,
                        argMin(value_micros, ts_ms) AS value
                 FROM events GROUP BY event_id)`,
        );
        expect(exact).toEqual({ events: 7, spend: 3_750, value: 40_000_000, billed: 2 });
        const [ids] = await ch.query('SELECT uniqExact(event_id) AS ids FROM events');
        expect(ids).toEqual({ ids: 7 });
      });

      it('FINAL is exact too (it merges across partitions at read time) but keeps the last copy, not the first', async () => {
        const [final] = await ch.query(
          `SELECT count() AS events, sum(spend_micros) AS spend FROM events FINAL`,
        );
        expect(final).toEqual({ events: 7, spend: 3_750 });
        // The retried notice's later time wins, so bucketing FINAL rows by ts moves the spend to
        // the next hour (and month); the rollup dedups with argMin(…, ts_ms) instead.
        const [billing] = await ch.query('SELECT ts_ms FROM events FINAL WHERE event_id = {id:String}', {
          id: 'billing:b1',
        });
        expect(billing).toEqual({ ts_ms: T0_MS + 31 * 60_000 });
      });

      it('the exact rollup matches the deduplicated raw table, and refreshing again changes nothing', async () => {
        const window = { fromMs: T0_MS - HOUR, toMs: T0_MS + 2 * HOUR };
        await refreshHourlyRollup(ch, window, clock);
        clock.advance(1);
        await ch.insert('events', rows);
        await refreshHourlyRollup(ch, window, clock);
        const rollup = await readHourlyRollup(ch, window);
        const base = {
          line_item_id: 'li1',
          creative_id: 'cr1',
          segment: 'seg-a',
          exchange: 'x1',
          wins: 0,
          value_micros: 0,
        };
        expect(rollup).toEqual([
          {
            ...base,
            hour: '2026-01-31 23:00:00',
            campaign_id: 'c1',
            bids: 1,
            impressions: 1,
            billed: 1,
            clicks: 1,
            conversions: 1,
            spend_micros: 1_500,
            value_micros: 40_000_000,
          },
          {
            ...base,
            hour: '2026-01-31 23:00:00',
            campaign_id: 'c2',
            bids: 1,
            impressions: 0,
            billed: 1,
            clicks: 0,
            conversions: 0,
            spend_micros: 2_250,
          },
        ]);
        const raw = await ch.query(
          `SELECT toStartOfHour(first_ts) AS hour, campaign_id, countIf(type = 'bid') AS bids, sum(spend) AS spend_micros
           FROM (SELECT event_id, min(ts) AS first_ts, argMin(type, ts_ms) AS type, argMin(campaign_id, ts_ms) AS campaign_id,
                        argMin(spend_micros, ts_ms) AS spend FROM events GROUP BY event_id)
           GROUP BY hour, campaign_id ORDER BY hour, campaign_id`,
        );
        expect(raw).toEqual(
          rollup.map((r) => ({
            hour: r.hour,
            campaign_id: r.campaign_id,
            bids: r.bids,
            spend_micros: r.spend_micros,
          })),
        );
      });

      it('the daily and no-bid rollups are exact (first copy of each event_id), equal the hours, and recompute whole days', async () => {
        const nobid = (id: string, atMs: number, reason: string, exchange: string) => ({
          ...row(`nobid:${id}`, 'nobid', atMs, {
            campaign_id: '',
            line_item_id: '',
            creative_id: '',
            segment: '',
            exchange,
          }),
          reason,
        });
        const nobids = [
          nobid('r1', T0_MS, 'BELOW_FLOOR', 'x1'),
          nobid('r2', T0_MS + 1_000, 'BELOW_FLOOR', 'x2'),
          nobid('r3', T0_MS + 2_000, 'NO_MATCHING_LINE_ITEM', 'x1'),
          nobid('r4', T0_MS + 40 * 60_000, 'BELOW_FLOOR', 'x1'), // 2026-02-01 00:10: next day and month
        ];
        await ch.insert('events', nobids);
        await ch.insert('events', nobids.slice(0, 3)); // a replayed batch
        // A copy of r3 31 minutes later (next hour, day and month): the first copy counts.
        await ch.insert('events', [nobid('r3', T0_MS + 31 * 60_000, 'NO_MATCHING_LINE_ITEM', 'x1')]);
        const window = { fromMs: T0_MS - HOUR, toMs: T0_MS + 2 * HOUR };
        await refreshRollups(ch, window, clock);
        clock.advance(1);
        await refreshRollups(ch, window, clock); // idempotent: same numbers, newer version
        const daily = () =>
          ch.query(
            `SELECT day, campaign_id, bids, wins, impressions, billed, clicks, conversions, spend_micros, value_micros
             FROM events_daily FINAL WHERE campaign_id != '' ORDER BY day, campaign_id`,
          );
        const zero = { wins: 0, impressions: 0, clicks: 0, conversions: 0, value_micros: 0 };
        const c1 = {
          ...zero,
          day: '2026-01-31 00:00:00',
          campaign_id: 'c1',
          bids: 1,
          impressions: 1,
          billed: 1,
          clicks: 1,
          conversions: 1,
          spend_micros: 1_500,
          value_micros: 40_000_000,
        };
        const c2 = {
          ...zero,
          day: '2026-01-31 00:00:00',
          campaign_id: 'c2',
          bids: 1,
          billed: 1,
          spend_micros: 2_250,
        };
        expect(await daily()).toEqual([c1, c2]);
        const nobidRows = (table: string, period: string) =>
          ch.query(
            `SELECT ${period} AS period, reason, exchange, nobids FROM ${table} FINAL ORDER BY period, reason, exchange`,
          );
        expect(await nobidRows('nobids_hourly', 'hour')).toEqual([
          { period: '2026-01-31 23:00:00', reason: 'BELOW_FLOOR', exchange: 'x1', nobids: 1 },
          { period: '2026-01-31 23:00:00', reason: 'BELOW_FLOOR', exchange: 'x2', nobids: 1 },
          { period: '2026-01-31 23:00:00', reason: 'NO_MATCHING_LINE_ITEM', exchange: 'x1', nobids: 1 },
          { period: '2026-02-01 00:00:00', reason: 'BELOW_FLOOR', exchange: 'x1', nobids: 1 },
        ]);
        const nobidsDaily = [
          { period: '2026-01-31 00:00:00', reason: 'BELOW_FLOOR', exchange: 'x1', nobids: 1 },
          { period: '2026-01-31 00:00:00', reason: 'BELOW_FLOOR', exchange: 'x2', nobids: 1 },
          { period: '2026-01-31 00:00:00', reason: 'NO_MATCHING_LINE_ITEM', exchange: 'x1', nobids: 1 },
          { period: '2026-02-01 00:00:00', reason: 'BELOW_FLOOR', exchange: 'x1', nobids: 1 },
        ];
        expect(await nobidRows('nobids_daily', 'day')).toEqual(nobidsDaily);
        // Every group and counter of a day is the sum of its hours (also the zero-count groups).
        const sumOfHours = `SELECT toStartOfDay(hour) AS day, campaign_id, line_item_id, creative_id, segment, exchange,
            sum(bids) AS bids, sum(wins) AS wins, sum(impressions) AS impressions, sum(billed) AS billed, sum(clicks) AS clicks,
            sum(conversions) AS conversions, sum(spend_micros) AS spend_micros, sum(value_micros) AS value_micros
          FROM events_hourly FINAL GROUP BY day, campaign_id, line_item_id, creative_id, segment, exchange
          ORDER BY day, campaign_id, line_item_id, creative_id, segment, exchange`;
        const days = `SELECT day, campaign_id, line_item_id, creative_id, segment, exchange, bids, wins, impressions, billed,
            clicks, conversions, spend_micros, value_micros
          FROM events_daily FINAL ORDER BY day, campaign_id, line_item_id, creative_id, segment, exchange`;
        expect(await ch.query(days)).toEqual(await ch.query(sumOfHours));
        // Refreshing the 22:00 hour alone recomputes its whole day from all the day's hours (the
        // rest of c1 is at 23:00), and no other day.
        await ch.insert('events', [
          row('bid:b3', 'bid', T0_MS - 80 * 60_000),
          nobid('r5', T0_MS - 80 * 60_000, 'NO_MATCHING_LINE_ITEM', 'x1'),
        ]);
        clock.advance(1);
        await refreshRollups(ch, { fromMs: T0_MS - 90 * 60_000, toMs: T0_MS - 30 * 60_000 }, clock);
        expect(await daily()).toEqual([{ ...c1, bids: 2 }, c2]);
        expect(await nobidRows('nobids_daily', 'day')).toEqual([
          nobidsDaily[0],
          nobidsDaily[1],
          { ...nobidsDaily[2], nobids: 2 },
          nobidsDaily[3],
        ]);
        expect(await ch.query(days)).toEqual(await ch.query(sumOfHours));
      });

      it('backfills the rollups a migration added to existing data, once', async () => {
        await ch.insert('events', [
          { ...row('nobid:r1', 'nobid', T0_MS, { campaign_id: '' }), reason: 'BELOW_FLOOR' },
        ]);
        await refreshHourlyRollup(ch, { fromMs: T0_MS - HOUR, toMs: T0_MS + 2 * HOUR }, clock); // the pre-upgrade refresh
        expect(await backfillRollups(ch, clock)).toEqual(['nobids_hourly', 'events_daily', 'nobids_daily']);
        const [day] = await ch.query(
          `SELECT sum(bids) AS bids, sum(spend_micros) AS spend FROM events_daily FINAL WHERE day = '2026-01-31 00:00:00'`,
        );
        expect(day).toEqual({ bids: 2, spend: 3_750 });
        expect(await ch.query('SELECT day, reason, nobids FROM nobids_daily FINAL')).toEqual([
          { day: '2026-01-31 00:00:00', reason: 'BELOW_FLOOR', nobids: 1 },
        ]);
        expect(await backfillRollups(ch, clock)).toEqual([]);
      });

      it('the live materialized view counts every inserted copy (the documented caveat)', async () => {
        const [live] = await ch.query(
          'SELECT sum(billed) AS billed, sum(spend_micros) AS spend, sum(bids) AS bids FROM events_hourly_live',
        );
        expect(live).toEqual({ billed: 5, spend: 9_000, bids: 4 });
      });
    });
  });
}
