import type { Clock } from '../../core/index.ts';
import type { ClickHouse } from './clickhouse.ts';

const HOUR_MS = 3_600_000;

/**
 * Dedups by event_id inside the window (first copy wins, by ts_ms), then aggregates. Conversions
 * come from `attributions` (bucketed by conversion time under the touch's campaign, line item,
 * creative, segment and exchange); raw conversion events count only when their emitter already
 * named a campaign (postbacks do not: refreshAttribution attributes them). A copy whose
 * ts falls outside the window (a notice retried across the window's edge) is not seen here; the
 * sink derives notice ids and ts from the notice, so in practice copies are seconds apart.
 */
const REFRESH_SQL = `INSERT INTO events_hourly
SELECT
    toStartOfHour(first_ts) AS hour,
    e_campaign_id AS campaign_id,
    e_line_item_id AS line_item_id,
    e_creative_id AS creative_id,
    e_segment AS segment,
    e_exchange AS exchange,
    countIf(e_type = 'bid') AS bids,
    countIf(e_type = 'win') AS wins,
    countIf(e_type = 'impression') AS impressions,
    countIf(e_type = 'billing') AS billed,
    countIf(e_type = 'click') AS clicks,
    countIf(e_type = 'conversion') AS conversions,
    sum(e_spend_micros) AS spend_micros,
    sum(e_value_micros) AS value_micros,
    {version:UInt64} AS version
FROM
(
    SELECT
        event_id,
        min(ts) AS first_ts,
        argMin(type, ts_ms) AS e_type,
        argMin(campaign_id, ts_ms) AS e_campaign_id,
        argMin(line_item_id, ts_ms) AS e_line_item_id,
        argMin(creative_id, ts_ms) AS e_creative_id,
        argMin(segment, ts_ms) AS e_segment,
        argMin(exchange, ts_ms) AS e_exchange,
        argMin(spend_micros, ts_ms) AS e_spend_micros,
        argMin(value_micros, ts_ms) AS e_value_micros
    FROM events
    WHERE ts >= {from:DateTime} AND ts < {to:DateTime}
    GROUP BY event_id
    HAVING NOT (e_type = 'conversion' AND e_campaign_id = '')
    UNION ALL
    SELECT
        conversion_event_id AS event_id,
        conversion_ts AS first_ts,
        'conversion' AS e_type,
        campaign_id AS e_campaign_id,
        line_item_id AS e_line_item_id,
        creative_id AS e_creative_id,
        segment AS e_segment,
        exchange AS e_exchange,
        toInt64(0) AS e_spend_micros,
        value_micros AS e_value_micros
    FROM attributions FINAL
    WHERE conversion_ts >= {from:DateTime} AND conversion_ts < {to:DateTime}
)
GROUP BY hour, campaign_id, line_item_id, creative_id, segment, exchange`;

/** The hours `[fromMs, toMs)` cover, widened to whole hours. */
export interface HourWindow {
  fromMs: number;
  toMs: number;
}

/**
 * Recomputes events_hourly for the whole hours covering the window from the deduplicated raw
 * events. Idempotent: running it again (or after more duplicates arrived) gives the same rows with
 * a newer version. The version is the clock's ms, so two refreshes in one ms would tie: the caller
 * (one scheduler) runs them one at a time. events_daily keeps its previous numbers for those days
 * until refreshDailyRollups runs: call refreshRollups, which runs both.
 */
export async function refreshHourlyRollup(ch: ClickHouse, window: HourWindow, clock: Clock): Promise<void> {
  const hours = hoursOf(window);
  if (hours === undefined) return;
  await ch.exec(REFRESH_SQL, { ...hours, version: Math.floor(clock.now()) });
}

/**
 * No-bids per hour, reason and exchange, deduplicated by event_id like REFRESH_SQL (first copy
 * wins): the nobid_reasons report counted uniqExact(event_id) from the raw events before.
 */
const REFRESH_NOBIDS_SQL = `INSERT INTO nobids_hourly
SELECT
    toStartOfHour(first_ts) AS hour,
    e_reason AS reason,
    e_exchange AS exchange,
    count() AS nobids,
    {version:UInt64} AS version
FROM
(
    SELECT
        event_id,
        min(ts) AS first_ts,
        argMin(reason, ts_ms) AS e_reason,
        argMin(exchange, ts_ms) AS e_exchange
    FROM events
    WHERE type = 'nobid' AND ts >= {from:DateTime} AND ts < {to:DateTime}
    GROUP BY event_id
)
GROUP BY hour, reason, exchange`;

/**
 * Whole days `[toStartOfDay(from), toStartOfDay(last)]` in the server's time zone, so a day is
 * recomputed from all its hours whatever the zone; `last` is the window's last second.
 */
const DAYS_OF_WINDOW = `hour >= toStartOfDay({from:DateTime}) AND toStartOfDay(hour) <= toStartOfDay({last:DateTime})`;

const REFRESH_DAILY_SQL = `INSERT INTO events_daily
SELECT
    toStartOfDay(hour) AS day,
    campaign_id,
    line_item_id,
    creative_id,
    segment,
    exchange,
    sum(bids) AS bids,
    sum(wins) AS wins,
    sum(impressions) AS impressions,
    sum(billed) AS billed,
    sum(clicks) AS clicks,
    sum(conversions) AS conversions,
    sum(spend_micros) AS spend_micros,
    sum(value_micros) AS value_micros,
    {version:UInt64} AS version
FROM events_hourly FINAL
WHERE ${DAYS_OF_WINDOW}
GROUP BY day, campaign_id, line_item_id, creative_id, segment, exchange`;

const REFRESH_NOBIDS_DAILY_SQL = `INSERT INTO nobids_daily
SELECT
    toStartOfDay(hour) AS day,
    reason,
    exchange,
    sum(nobids) AS nobids,
    {version:UInt64} AS version
FROM nobids_hourly FINAL
WHERE ${DAYS_OF_WINDOW}
GROUP BY day, reason, exchange`;

/** The window widened to whole hours, as epoch seconds; undefined when it is empty. */
function hoursOf(window: HourWindow): { from: number; to: number } | undefined {
  const from = Math.floor(window.fromMs / HOUR_MS) * HOUR_MS;
  const to = Math.ceil(window.toMs / HOUR_MS) * HOUR_MS;
  return to <= from ? undefined : { from: from / 1000, to: to / 1000 };
}

/**
 * Recomputes nobids_hourly for the whole hours covering the window from the deduplicated no-bid
 * events. Idempotent, versioned by the clock's ms like refreshHourlyRollup.
 */
export async function refreshNoBidRollup(ch: ClickHouse, window: HourWindow, clock: Clock): Promise<void> {
  const hours = hoursOf(window);
  if (hours === undefined) return;
  await ch.exec(REFRESH_NOBIDS_SQL, { ...hours, version: Math.floor(clock.now()) });
}

const DAILY_SQL = { events: REFRESH_DAILY_SQL, nobids: REFRESH_NOBIDS_DAILY_SQL } as const;

async function refreshDaily(
  ch: ClickHouse,
  tables: readonly (keyof typeof DAILY_SQL)[],
  window: HourWindow,
  clock: Clock,
): Promise<void> {
  const hours = hoursOf(window);
  if (hours === undefined) return;
  const params = { from: hours.from, last: hours.to - 1, version: Math.floor(clock.now()) };
  for (const t of tables) await ch.exec(DAILY_SQL[t], params);
}

/**
 * Recomputes events_daily and nobids_daily for every whole day the window's hours touch, from
 * events_hourly FINAL and nobids_hourly FINAL: run it after refreshing those hours (refreshRollups
 * does), or the days keep the previous hourly numbers. Idempotent, versioned by the clock's ms.
 */
export async function refreshDailyRollups(ch: ClickHouse, window: HourWindow, clock: Clock): Promise<void> {
  await refreshDaily(ch, ['events', 'nobids'], window, clock);
}

/** `[min, max]` of a DateTime column as epoch seconds, undefined when no row matches. */
async function spanOf(ch: ClickHouse, sql: string): Promise<HourWindow | undefined> {
  const [r] = await ch.query<{ n: number; lo: number; hi: number }>(sql);
  if (r === undefined || Number(r.n) === 0) return undefined;
  return { fromMs: Number(r.lo) * 1000, toMs: Number(r.hi) * 1000 + 1 };
}

/**
 * Fills, once, the rollups that migrations 006 and 007 added to a database that already had
 * events: nobids_hourly from every no-bid event when it is empty, then events_daily and
 * nobids_daily over everything their hourly table holds when they are empty (a refresh only
 * recomputes its lookback, so without this the days before the upgrade would read as zero).
 * Returns the tables it filled. An empty table costs one scan of `events.type` (no-bids) or a
 * min/max of the hourly table, so the scheduler runs it once per process, before its first refresh.
 */
export async function backfillRollups(ch: ClickHouse, clock: Clock): Promise<string[]> {
  const [empty] = await ch.query<{ daily: number; nobids: number; nobids_daily: number }>(
    `SELECT (SELECT count() FROM events_daily) AS daily, (SELECT count() FROM nobids_hourly) AS nobids,
            (SELECT count() FROM nobids_daily) AS nobids_daily`,
  );
  if (empty === undefined) return [];
  const filled: string[] = [];
  if (Number(empty.nobids) === 0) {
    const span = await spanOf(
      ch,
      `SELECT count() AS n, toUInt64(min(ts)) AS lo, toUInt64(max(ts)) AS hi FROM events WHERE type = 'nobid'`,
    );
    if (span !== undefined) {
      await refreshNoBidRollup(ch, span, clock);
      filled.push('nobids_hourly');
    }
  }
  const hourly = 'count() AS n, toUInt64(min(hour)) AS lo, toUInt64(max(hour)) AS hi';
  if (Number(empty.daily) === 0) {
    const span = await spanOf(ch, `SELECT ${hourly} FROM events_hourly`);
    if (span !== undefined) {
      await refreshDaily(ch, ['events'], span, clock);
      filled.push('events_daily');
    }
  }
  if (Number(empty.nobids_daily) === 0) {
    const span = await spanOf(ch, `SELECT ${hourly} FROM nobids_hourly`);
    if (span !== undefined) {
      await refreshDaily(ch, ['nobids'], span, clock);
      filled.push('nobids_daily');
    }
  }
  return filled;
}

/**
 * Every exact rollup for the window, in dependency order: events_hourly and nobids_hourly from the
 * events, then events_daily and nobids_daily from those. What the RefreshScheduler runs (after
 * attribution); the reports read all four, so refresh them together.
 */
export async function refreshRollups(ch: ClickHouse, window: HourWindow, clock: Clock): Promise<void> {
  await refreshHourlyRollup(ch, window, clock);
  await refreshNoBidRollup(ch, window, clock);
  await refreshDailyRollups(ch, window, clock);
}

/** One row of the hourly rollup. */
export interface HourlyRow {
  hour: string;
  campaign_id: string;
  line_item_id: string;
  creative_id: string;
  segment: string;
  exchange: string;
  bids: number;
  wins: number;
  impressions: number;
  billed: number;
  clicks: number;
  conversions: number;
  spend_micros: number;
  value_micros: number;
}

/** Reads the exact rollup for `[fromMs, toMs)`, newest version of each group (FINAL). */
export async function readHourlyRollup(ch: ClickHouse, window: HourWindow): Promise<HourlyRow[]> {
  return ch.query<HourlyRow>(
    `SELECT hour, campaign_id, line_item_id, creative_id, segment, exchange, bids, wins, impressions, billed,
            clicks, conversions, spend_micros, value_micros
     FROM events_hourly FINAL
     WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
     ORDER BY hour, campaign_id, line_item_id, creative_id, segment, exchange`,
    { from: Math.floor(window.fromMs / 1000), to: Math.ceil(window.toMs / 1000) },
  );
}
