/**
 * Report query latency on generated events in the embedded engine (chDB): N events (default
 * 10,000,000) over 30 days, 20 campaigns × 5 line items × 5 creatives, 50 segments, 5 exchanges,
 * generated inside the engine with `INSERT … SELECT FROM numbers()` (generating JSON in Node
 * would measure Node). Then the scheduled work (attribution; the exact rollups: events_hourly,
 * nobids_hourly, then events_daily and nobids_daily, each timed) runs once over the whole range,
 * one scheduler tick (last 3 h) is timed piece by piece, and every report of reporting/queries/
 * runs `--runs` times (default 40) through the same `runReport` the API uses: over the last 7
 * days, the last 30, and 30 days from noon to noon (29 whole days from the daily rollups, the edge
 * hours from the hourly ones); `delivery` and `nobid_reasons` at grain `hour` and `day` (no
 * dashboard in this repository calls /api/v1/reports, so both are measured).
 * Baselines in the same run: `SELECT 1` (the engine's per-query floor), the delivery report
 * computed from the raw events (dedup by event_id) instead of the rollup, and the previous design
 * of the reports the daily rollups replaced: delivery at grain day from events_hourly alone, and
 * nobid_reasons from the raw events.
 *
 * Run alone: `node --import tsx bench/reporting/report-queries.bench.ts [--events 1000000] [--runs 40]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../../core/index.ts';
import {
  type ClickHouse,
  migrate,
  openEmbeddedClickHouse,
  parseReportRequest,
  REPORTS,
  refreshAttribution,
  refreshDailyRollups,
  refreshHourlyRollup,
  refreshNoBidRollup,
  refreshRollups,
  runReport,
} from '../../reporting/index.ts';
import { fmt, markdownTable } from '../support/table.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const EVENTS = arg('events', 10_000_000);
const RUNS = arg('runs', 40);
const DAYS = 30;
const END = Date.UTC(2026, 10, 22);
const START = END - DAYS * 86_400_000;

/**
 * One event per number n: r = n % 1000 picks the type (45 % bid, 10 % nobid, 11 % win, 11 %
 * billing, 11 % impression, 11 % loss, 0.8 % click, 0.2 % conversion); ids derive from n so the
 * row set is the same on every run. Conversions name a user; impressions and clicks carry users
 * from the same 100,000 (a hash of n, so every type meets every user).
 */
const GENERATE = `INSERT INTO events (event_id, type, ts, ts_ms, request_id, bid_id, imp_id, exchange, campaign_id,
    line_item_id, creative_id, segment, price_micros, clearing_micros, spend_micros, value_micros, reason, click_id,
    user_key, conversion_id)
SELECT
    concat(t, ':', toString(number)) AS event_id,
    t AS type,
    toDateTime(intDiv(ms, 1000)) AS ts,
    ms AS ts_ms,
    concat('r', toString(number)) AS request_id,
    toString(number) AS bid_id,
    '1' AS imp_id,
    concat('x', toString(number % 5)) AS exchange,
    if(t = 'conversion' OR t = 'nobid', '', concat('c', toString(number % 20))) AS campaign_id,
    if(t = 'conversion' OR t = 'nobid', '', concat('li', toString(number % 100))) AS line_item_id,
    if(t = 'conversion' OR t = 'nobid', '', concat('cr', toString(number % 500))) AS creative_id,
    if(t = 'nobid', '', concat('s', toString(number % 50))) AS segment,
    if(t = 'bid', 1500000, 0) AS price_micros,
    if(t IN ('win', 'billing'), 1000000 + number % 1000000, 0) AS clearing_micros,
    if(t = 'billing', 1000 + number % 1000, 0) AS spend_micros,
    if(t = 'conversion', 5000000, 0) AS value_micros,
    if(t = 'nobid', ['NO_MATCHING_LINE_ITEM', 'BELOW_FLOOR', 'BUDGET_EXHAUSTED', 'PACING_THROTTLED'][number % 4 + 1], '') AS reason,
    if(t = 'click', toString(number), '') AS click_id,
    if(t IN ('impression', 'click', 'conversion'), concat('u', toString(intHash32(number) % 100000)), '') AS user_key,
    if(t = 'conversion', toString(number), '') AS conversion_id
FROM
(
    SELECT number,
           multiIf(number % 1000 < 450, 'bid', number % 1000 < 550, 'nobid', number % 1000 < 660, 'win',
                   number % 1000 < 770, 'billing', number % 1000 < 880, 'impression', number % 1000 < 990, 'loss',
                   number % 1000 < 998, 'click', 'conversion') AS t,
           {start:UInt64} + intDiv(number * {span:UInt64}, {n:UInt64}) AS ms
    FROM numbers({offset:UInt64}, {chunk:UInt64})
)`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function time(
  fn: () => Promise<unknown>,
  runs: number,
): Promise<{ p50: number; p95: number; max: number }> {
  await fn(); // warm-up (first read of the parts)
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms[ms.length - 1]! };
}

const RAW_DELIVERY = `SELECT toStartOfHour(first_ts) AS period, c, countIf(k = 'bid') AS bids, countIf(k = 'billing') AS billed,
       sum(spend) AS spend_micros
FROM (SELECT event_id, min(ts) AS first_ts, argMin(type, ts_ms) AS k, argMin(campaign_id, ts_ms) AS c,
             argMin(spend_micros, ts_ms) AS spend
      FROM events WHERE ts >= {from:DateTime} AND ts < {to:DateTime} GROUP BY event_id)
GROUP BY period, c ORDER BY c, period`;

/** delivery.sql before the daily rollup (migration 006): grain day from events_hourly alone. */
const PREVIOUS_DELIVERY = `SELECT period, campaign_id, bids, wins, billed, impressions, clicks, spend_micros,
       if(bids = 0, 0, wins / bids) AS win_rate
FROM (SELECT if({grain:String} = 'day', toStartOfDay(hour), hour) AS period, campaign_id, sum(bids) AS bids,
             sum(wins) AS wins, sum(billed) AS billed, sum(impressions) AS impressions, sum(clicks) AS clicks,
             sum(spend_micros) AS spend_micros
      FROM events_hourly FINAL
      WHERE hour >= {from:DateTime} AND hour < {to:DateTime} AND campaign_id != ''
      GROUP BY period, campaign_id)
ORDER BY campaign_id, period`;

/** nobid_reasons.sql before the no-bid rollups (migration 007): the raw events. */
const PREVIOUS_NOBID_REASONS = `SELECT if({grain:String} = 'day', toStartOfDay(ts), toStartOfHour(ts)) AS period, reason,
       uniqExact(event_id) AS nobids
FROM events
WHERE type = 'nobid' AND ts >= {from:DateTime} AND ts < {to:DateTime}
GROUP BY period, reason
ORDER BY period, nobids DESC, reason`;

/** Runs `fn` for every day of [START, END), one day at a time, and returns the ms it took. */
async function perDay(fn: (window: { fromMs: number; toMs: number }) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let d = START; d < END; d += 86_400_000) await fn({ fromMs: d, toMs: d + 86_400_000 });
  return performance.now() - t0;
}

export async function runReportQueriesBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'outbid-report-bench-'));
  const clock = new ManualClock(END);
  let ch: ClickHouse | undefined;
  try {
    ch = await openEmbeddedClickHouse({ dataDir: join(dir, 'ch') });
    await migrate(ch, { clock });
    const chunk = 1_000_000;
    let t0 = performance.now();
    for (let offset = 0; offset < EVENTS; offset += chunk) {
      await ch.exec(GENERATE, {
        start: START,
        span: DAYS * 86_400_000,
        n: EVENTS,
        offset,
        chunk: Math.min(chunk, EVENTS - offset),
      });
    }
    const genMs = performance.now() - t0;
    console.error(`generated ${EVENTS} events in ${fmt(genMs)} ms`);
    const window = { fromMs: START, toMs: END };
    const settings = { defaults: { clickSec: 7 * 86_400, viewSec: 86_400 }, campaigns: {} };
    t0 = performance.now();
    await refreshAttribution(ch, window, settings, clock);
    const attrMs = performance.now() - t0;
    const [attributed] = await ch.query<{ n: number }>('SELECT count() AS n FROM attributions FINAL');
    // The scheduler refreshes the last few hours; here every day of the range, one day at a time,
    // each rollup on its own to time it (refreshRollups runs the same three in this order).
    const hourlyMs = await perDay((w) => refreshHourlyRollup(ch!, w, clock));
    const nobidMs = await perDay((w) => refreshNoBidRollup(ch!, w, clock));
    const dailyMs = await perDay((w) => refreshDailyRollups(ch!, w, clock));
    const count = async (table: string) =>
      Number((await ch!.query<{ n: number }>(`SELECT count() AS n FROM ${table} FINAL`))[0]?.n ?? 0);
    const rollupRows = {
      events_hourly: await count('events_hourly'),
      nobids_hourly: await count('nobids_hourly'),
      events_daily: await count('events_daily'),
      nobids_daily: await count('nobids_daily'),
    };
    console.error(
      `attribution ${fmt(attrMs)} ms (${attributed?.n} conversions); events_hourly ${fmt(hourlyMs)} ms, ` +
        `nobids_hourly ${fmt(nobidMs)} ms, daily ${fmt(dailyMs)} ms; rows ${JSON.stringify(rollupRows)}`,
    );

    // One tick of serve's scheduler: attribution + the rollups of the last 3 hours, and its pieces.
    const last3h = { fromMs: END - 3 * 3_600_000, toMs: END };
    const tick = await time(async () => {
      await refreshAttribution(ch!, last3h, settings, clock);
      await refreshRollups(ch!, last3h, clock);
    }, 3);
    const tickParts = {
      attribution: await time(() => refreshAttribution(ch!, last3h, settings, clock), 3),
      events_hourly: await time(() => refreshHourlyRollup(ch!, last3h, clock), 3),
      nobids_hourly: await time(() => refreshNoBidRollup(ch!, last3h, clock), 3),
      'events_daily + nobids_daily': await time(() => refreshDailyRollups(ch!, last3h, clock), 3),
    };
    console.error(`scheduler tick p50 ${fmt(tick.p50)} ms`);
    const rows: string[][] = [];
    const add = (what: string, r: { p50: number; p95: number; max: number }) =>
      rows.push([what, fmt(r.p50, 1), fmt(r.p95, 1), fmt(r.max, 1)]);
    add('baseline: SELECT 1', await time(() => ch!.query('SELECT 1 AS x'), RUNS));
    const sec = (t: string) => Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t) / 1000;
    for (const [label, from, to] of [
      ['7 d', '2026-11-15', '2026-11-22'],
      ['30 d', '2026-10-23', '2026-11-22'],
      ['30 d noon to noon', '2026-10-22T12:00:00Z', '2026-11-21T12:00:00Z'],
    ] as const) {
      for (const def of REPORTS.values()) {
        const extra: Record<string, string> =
          def.name === 'performance'
            ? { dimension: 'creative' }
            : def.name === 'creative_ab'
              ? { line_item_id: 'li7' }
              : {};
        const grains = def.params.includes('grain') ? ['hour', 'day'] : [undefined];
        for (const grain of grains) {
          const request = parseReportRequest(def.name, {
            from,
            to,
            ...extra,
            ...(grain === undefined ? {} : { grain }),
          });
          const name = grain === undefined ? def.name : `${def.name} (grain ${grain})`;
          add(`${name}, ${label}`, await time(() => runReport(ch!, request), RUNS));
        }
      }
      const range = { from: sec(from), to: sec(to) };
      add(
        `baseline: delivery (grain day) from events_hourly alone (before 006), ${label}`,
        await time(() => ch!.query(PREVIOUS_DELIVERY, { ...range, grain: 'day' }), RUNS),
      );
      add(
        `baseline: nobid_reasons (grain day) from raw events (before 007), ${label}`,
        await time(() => ch!.query(PREVIOUS_NOBID_REASONS, { ...range, grain: 'day' }), RUNS),
      );
      add(
        `baseline: delivery from raw events (no rollup), ${label}`,
        await time(() => ch!.query(RAW_DELIVERY, range), Math.min(RUNS, 5)),
      );
    }
    const totalRollupMs = hourlyMs + nobidMs + dailyMs;
    return [
      `### Report queries, embedded chDB ${ch.version}, ${fmt(EVENTS)} events over ${DAYS} days`,
      '',
      `Generated in ${fmt(genMs / 1000, 1)} s; attribution of the whole range ${fmt(attrMs / 1000, 1)} s ` +
        `(${fmt(attributed?.n ?? 0)} conversions attributed); exact rollups of the range, one day at a time, ` +
        `${fmt(totalRollupMs / 1000, 1)} s: events_hourly ${fmt(hourlyMs / 1000, 1)} s (${fmt(rollupRows.events_hourly)} rows), ` +
        `nobids_hourly ${fmt(nobidMs / 1000, 1)} s (${fmt(rollupRows.nobids_hourly)} rows), ` +
        `events_daily + nobids_daily ${fmt(dailyMs / 1000, 1)} s (${fmt(rollupRows.events_daily)} + ${fmt(rollupRows.nobids_daily)} rows). ` +
        `One scheduler tick (attribution + refreshRollups of the last 3 h) ${fmt(tick.p50)} ms (p50 of 3); ` +
        `its pieces alone (p50 of 3): ${Object.entries(tickParts)
          .map(([k, v]) => `${k} ${fmt(v.p50)} ms`)
          .join(', ')}. ${RUNS} runs per query after one warm-up, ms:`,
      '',
      markdownTable(['query', 'p50', 'p95', 'max'], rows),
    ].join('\n');
  } finally {
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runReportQueriesBench());
