-- Purpose: CTR, CVR, CPA and ROAS by one dimension: campaign, line item, creative, segment or
--   exchange. Conversions are attributed ones (last click, else last impression within the
--   campaign's windows) counted at conversion time under the touch's ids.
-- Parameters: from, to (DateTime, [from, to)), dimension ('campaign' | 'line_item' | 'creative' |
--   'segment' | 'exchange'), campaign_id, line_item_id ('' = all).
-- Grain: one row per value of the dimension over the whole range. Source: events_daily FINAL
--   for the whole days of the range, events_hourly FINAL for the hours outside them (exact,
--   deduplicated; as fresh as the last refresh, ROLLUP_REFRESH_SEC).
-- Definitions: ctr = clicks / impressions; cvr = conversions / clicks; cpa_micros = spend /
--   conversions; roas = value / spend; 0 when the denominator is 0. Impressions are billed
--   impressions (burl), the count spend is based on.
-- columns: key, impressions, clicks, conversions, spend_micros, value_micros, ctr, cvr, cpa_micros, roas
SELECT
    key,
    impressions,
    clicks,
    conversions,
    spend_micros,
    value_micros,
    if(impressions = 0, 0, clicks / impressions) AS ctr,
    if(clicks = 0, 0, conversions / clicks) AS cvr,
    if(conversions = 0, 0, intDiv(spend_micros, greatest(conversions, 1))) AS cpa_micros,
    if(spend_micros = 0, 0, value_micros / spend_micros) AS roas
FROM
(
    SELECT
        multiIf(
            {dimension:String} = 'line_item', line_item_id,
            {dimension:String} = 'creative', creative_id,
            {dimension:String} = 'segment', segment,
            {dimension:String} = 'exchange', exchange,
            campaign_id) AS key,
        sum(billed) AS impressions,
        sum(clicks) AS clicks,
        sum(conversions) AS conversions,
        sum(spend_micros) AS spend_micros,
        sum(value_micros) AS value_micros
    FROM
    (
        -- Whole days of [from, to): from the first midnight at or after `from` to the last one at
        -- or before `to` (days of 86,400 s: run ClickHouse in UTC).
        SELECT campaign_id, line_item_id, creative_id, segment, exchange, billed, clicks, conversions,
               spend_micros, value_micros
        FROM events_daily FINAL
        WHERE day >= toStartOfDay({from:DateTime} + 86399) AND day < toStartOfDay({to:DateTime})
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
          AND ({line_item_id:String} = '' OR line_item_id = {line_item_id:String})
        UNION ALL
        -- The hours of [from, to) outside those whole days.
        SELECT campaign_id, line_item_id, creative_id, segment, exchange, billed, clicks, conversions,
               spend_micros, value_micros
        FROM events_hourly FINAL
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
          AND (hour < toStartOfDay({from:DateTime} + 86399) OR hour >= toStartOfDay({to:DateTime}))
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
          AND ({line_item_id:String} = '' OR line_item_id = {line_item_id:String})
    )
    GROUP BY key
)
ORDER BY spend_micros DESC, key
