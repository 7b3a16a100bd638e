/**
 * Report query latency on generated events in the embedded engine (chDB): N events (default
 * 10,000,000) over 30 days, 20 campaigns × 5 line items × 5 creatives, 50 segments, 5 exchanges,
 * generated inside the engine with `INSERT … SELECT FROM numbers()` (generating JSON in Node
 * would measure Node). Then the scheduled work (attribution, exact hourly rollup over the whole
 * range) is timed once, and every report of reporting/queries/ runs `--runs` times (default 40)
 * over the last 7 days and over all 30, through the same `runReport` the API uses.
 * Baseline in the same run: `SELECT 1` (the engine's per-query floor), and the delivery report
 * computed from the raw events (dedup by event_id) instead of the rollup.
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
  refreshHourlyRollup,
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
    t0 = performance.now();
    // The scheduler refreshes the last few hours; here every day of the range, one day at a time.
    for (let d = START; d < END; d += 86_400_000)
      await refreshHourlyRollup(ch, { fromMs: d, toMs: d + 86_400_000 }, clock);
    const rollupMs = performance.now() - t0;
    const [rollupRows] = await ch.query<{ n: number }>('SELECT count() AS n FROM events_hourly FINAL');
    console.error(
      `attribution ${fmt(attrMs)} ms (${attributed?.n} conversions), rollup ${fmt(rollupMs)} ms (${rollupRows?.n} rows)`,
    );

    // One tick of serve's scheduler: attribution + rollup of the last 3 hours.
    const tick = await time(async () => {
      const now = END;
      await refreshAttribution(ch!, { fromMs: now - 3 * 3_600_000, toMs: now }, settings, clock);
      await refreshHourlyRollup(ch!, { fromMs: now - 3 * 3_600_000, toMs: now }, clock);
    }, 3);
    console.error(`scheduler tick p50 ${fmt(tick.p50)} ms`);
    const rows: string[][] = [];
    const add = (what: string, r: { p50: number; p95: number; max: number }) =>
      rows.push([what, fmt(r.p50, 1), fmt(r.p95, 1), fmt(r.max, 1)]);
    add('baseline: SELECT 1', await time(() => ch!.query('SELECT 1 AS x'), RUNS));
    for (const [label, from] of [
      ['7 d', '2026-11-15'],
      ['30 d', '2026-10-23'],
    ] as const) {
      for (const def of REPORTS.values()) {
        const extra: Record<string, string> =
          def.name === 'performance'
            ? { dimension: 'creative' }
            : def.name === 'creative_ab'
              ? { line_item_id: 'li7' }
              : {};
        const request = parseReportRequest(def.name, { from, to: '2026-11-22', ...extra });
        add(`${def.name}, ${label}`, await time(() => runReport(ch!, request), RUNS));
      }
      add(
        `baseline: delivery from raw events (no rollup), ${label}`,
        await time(
          () => ch!.query(RAW_DELIVERY, { from: Date.parse(`${from}T00:00:00Z`) / 1000, to: END / 1000 }),
          Math.min(RUNS, 5),
        ),
      );
    }
    return [
      `### Report queries, embedded chDB ${ch.version}, ${fmt(EVENTS)} events over ${DAYS} days`,
      '',
      `Generated in ${fmt(genMs / 1000, 1)} s; attribution of the whole range ${fmt(attrMs / 1000, 1)} s ` +
        `(${fmt(attributed?.n ?? 0)} conversions attributed); exact hourly rollup of the range ${fmt(rollupMs / 1000, 1)} s ` +
        `(${fmt(rollupRows?.n ?? 0)} rows); one scheduler tick (attribution + rollup of the last 3 h) ` +
        `${fmt(tick.p50)} ms (p50 of 3). ${RUNS} runs per query after one warm-up, ms:`,
      '',
      markdownTable(['query', 'p50', 'p95', 'max'], rows),
    ].join('\n');
  } finally {
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runReportQueriesBench());
