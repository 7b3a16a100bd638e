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
 * (one scheduler) runs them one at a time.
 */
export async function refreshHourlyRollup(ch: ClickHouse, window: HourWindow, clock: Clock): Promise<void> {
  const from = Math.floor(window.fromMs / HOUR_MS) * HOUR_MS;
  const to = Math.ceil(window.toMs / HOUR_MS) * HOUR_MS;
  if (to <= from) return;
  await ch.exec(REFRESH_SQL, { from: from / 1000, to: to / 1000, version: Math.floor(clock.now()) });
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
