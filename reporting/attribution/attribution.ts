import type { Clock } from '../../core/index.ts';
import type { ClickHouse } from '../clickhouse/clickhouse.ts';

/** Attribution windows of one campaign, seconds (config ATTRIBUTION_* variables). */
export interface AttributionWindows {
  clickSec: number;
  viewSec: number;
}

/** Default windows and per-campaign overrides. */
export interface AttributionSettings {
  defaults: AttributionWindows;
  campaigns: Readonly<Record<string, AttributionWindows>>;
}

/** Touches get this added to their ms timestamp when they are clicks, so argMax prefers any click in its window to any impression (ts_ms < 10^13 until the year 2286). */
const CLICK_BONUS = '10000000000000';

/** Deduplicated conversions of the window (first copy of each event_id), keyed for one join. */
function conversions(key: 'c_click' | 'c_bid' | 'c_user'): string {
  return `(
        SELECT conv_id, c_ts, c_conversion_id, c_value, ${key} AS k
        FROM
        (
            SELECT event_id AS conv_id, min(ts_ms) AS c_ts, argMin(conversion_id, ts_ms) AS c_conversion_id,
                   argMin(value_micros, ts_ms) AS c_value, argMin(click_id, ts_ms) AS c_click,
                   argMin(bid_id, ts_ms) AS c_bid, argMin(user_key, ts_ms) AS c_user
            FROM events
            WHERE type = 'conversion' AND ts >= {from:DateTime} AND ts < {to:DateTime}
            GROUP BY event_id
        )
        WHERE ${key} != ''
    ) AS c`;
}

/** Deduplicated impressions and clicks that can reach into the window, keyed for one join. */
function touches(key: 't_click' | 't_bid' | 't_user'): string {
  return `(
        SELECT t_event_id, t_type, t_ts, t_bid, t_campaign, t_line_item, t_creative, t_segment, t_exchange, ${key} AS k
        FROM
        (
            SELECT event_id AS t_event_id, argMin(type, ts_ms) AS t_type, min(ts_ms) AS t_ts,
                   argMin(bid_id, ts_ms) AS t_bid, argMin(click_id, ts_ms) AS t_click, argMin(user_key, ts_ms) AS t_user,
                   argMin(campaign_id, ts_ms) AS t_campaign, argMin(line_item_id, ts_ms) AS t_line_item,
                   argMin(creative_id, ts_ms) AS t_creative, argMin(segment, ts_ms) AS t_segment,
                   argMin(exchange, ts_ms) AS t_exchange
            FROM events
            WHERE type IN ('impression', 'click') AND ts >= {touch_from:DateTime} AND ts < {to:DateTime}
            GROUP BY event_id
        )
        WHERE ${key} != ''
    ) AS t`;
}

const COLUMNS =
  'conv_id, c_ts, c_conversion_id, c_value, t_event_id, t_type, t_ts, t_bid, t_campaign, t_line_item, t_creative, t_segment, t_exchange';

/**
 * Attribution as one INSERT … SELECT over the deduplicated events, so it runs where the data is and
 * on both engines (18.16 has no ASOF JOIN and no window functions: equality joins on one key,
 * unioned per key kind, then argMax). A conversion is matched to touches by the keys its postback
 * carried: the click id (that click), the impression's bid id (that bid's impression and clicks),
 * the user key (every touch of the user). Eligible: 0 ≤ conversion ms − touch ms ≤ the touch
 * campaign's window (click-through for clicks, view-through for impressions), both edges
 * inclusive at millisecond resolution. The winner is the last eligible click, else the last
 * eligible impression. Each conversion becomes one row of `attributions` with this run's version.
 */
export const ATTRIBUTE_SQL = `INSERT INTO attributions
SELECT
    conv_id AS conversion_event_id,
    any(c_conversion_id) AS conversion_id,
    toDateTime(intDiv(any(c_ts), 1000)) AS conversion_ts,
    any(c_ts) AS conversion_ts_ms,
    any(c_value) AS value_micros,
    argMax(t_type, score) AS touch_type,
    argMax(t_event_id, score) AS touch_event_id,
    argMax(t_ts, score) AS touch_ts_ms,
    argMax(t_bid, score) AS bid_id,
    argMax(t_campaign, score) AS campaign_id,
    argMax(t_line_item, score) AS line_item_id,
    argMax(t_creative, score) AS creative_id,
    argMax(t_segment, score) AS segment,
    argMax(t_exchange, score) AS exchange,
    {version:UInt64} AS version
FROM
(
    SELECT ${COLUMNS}, if(t_type = 'click', ${CLICK_BONUS}, 0) + t_ts AS score
    FROM
    (
        SELECT ${COLUMNS} FROM ${conversions('c_click')} ALL INNER JOIN ${touches('t_click')} USING k
        UNION ALL
        SELECT ${COLUMNS} FROM ${conversions('c_bid')} ALL INNER JOIN ${touches('t_bid')} USING k
        UNION ALL
        SELECT ${COLUMNS} FROM ${conversions('c_user')} ALL INNER JOIN ${touches('t_user')} USING k
    )
    WHERE t_ts <= c_ts
      AND c_ts - t_ts <= if(t_type = 'click',
            toUInt64(transform(t_campaign, {campaigns:Array(String)}, {click_ms:Array(String)}, {default_click_ms:String})),
            toUInt64(transform(t_campaign, {campaigns:Array(String)}, {view_ms:Array(String)}, {default_view_ms:String})))
)
GROUP BY conv_id`;

/** The conversions whose attribution a refresh recomputes: those received in `[fromMs, toMs)`, widened to whole seconds. */
export interface ConversionWindow {
  fromMs: number;
  toMs: number;
}

/**
 * Attributes the conversions received in the window (re-attributing ones seen before: the newest
 * version wins in `attributions FINAL`). Touches are read back as far as the longest window.
 * Run it before `refreshHourlyRollup` for the same hours, which counts attributed conversions.
 */
export async function refreshAttribution(
  ch: ClickHouse,
  window: ConversionWindow,
  settings: AttributionSettings,
  clock: Clock,
): Promise<void> {
  const from = Math.floor(window.fromMs / 1000);
  const to = Math.ceil(window.toMs / 1000);
  if (to <= from) return;
  const campaigns = Object.keys(settings.campaigns);
  let longestSec = Math.max(settings.defaults.clickSec, settings.defaults.viewSec);
  for (const c of campaigns) {
    const w = settings.campaigns[c]!;
    longestSec = Math.max(longestSec, w.clickSec, w.viewSec);
  }
  // transform() wants non-empty arrays of one type: a never-matching first entry keeps them typed.
  // Windows go as strings and are cast after the lookup: the binder has Array(String) but no
  // Array(UInt64), and 18.16's transform() wants constant arrays (arrayMap over one is not).
  await ch.exec(ATTRIBUTE_SQL, {
    from,
    to,
    touch_from: Math.max(0, from - longestSec - 1),
    version: Math.floor(clock.now()),
    campaigns: ['', ...campaigns],
    click_ms: [
      String(settings.defaults.clickSec * 1000),
      ...campaigns.map((c) => String(settings.campaigns[c]!.clickSec * 1000)),
    ],
    view_ms: [
      String(settings.defaults.viewSec * 1000),
      ...campaigns.map((c) => String(settings.campaigns[c]!.viewSec * 1000)),
    ],
    default_click_ms: String(settings.defaults.clickSec * 1000),
    default_view_ms: String(settings.defaults.viewSec * 1000),
  });
}

/** One row of `attributions` (005_attributions.sql). */
export interface AttributionRow {
  conversion_event_id: string;
  conversion_id: string;
  conversion_ts_ms: number;
  value_micros: number;
  touch_type: string;
  touch_event_id: string;
  touch_ts_ms: number;
  bid_id: string;
  campaign_id: string;
  line_item_id: string;
  creative_id: string;
  segment: string;
  exchange: string;
}

/** The current attribution of the conversions received in the window (newest version of each). */
export async function readAttributions(ch: ClickHouse, window: ConversionWindow): Promise<AttributionRow[]> {
  return ch.query<AttributionRow>(
    `SELECT conversion_event_id, conversion_id, conversion_ts_ms, value_micros, touch_type, touch_event_id,
            touch_ts_ms, bid_id, campaign_id, line_item_id, creative_id, segment, exchange
     FROM attributions FINAL
     WHERE conversion_ts >= {from:DateTime} AND conversion_ts < {to:DateTime}
     ORDER BY conversion_ts_ms, conversion_event_id`,
    { from: Math.floor(window.fromMs / 1000), to: Math.ceil(window.toMs / 1000) },
  );
}
