-- Purpose: the funnel impression → click → conversion per campaign, with the step rates.
-- Parameters: from, to (DateTime, [from, to)), campaign_id ('' = all).
-- Grain: one row per campaign over the range. Source: events_daily FINAL for the whole days of
--   the range, events_hourly FINAL for the hours outside them (exact, deduplicated; as fresh as
--   the last refresh, ROLLUP_REFRESH_SEC). Impressions here are tracked impressions (the pixel),
--   the step the user saw; conversions are attributed ones.
-- columns: campaign_id, impressions, clicks, conversions, click_rate, conversion_rate, value_micros
SELECT
    campaign_id,
    impressions,
    clicks,
    conversions,
    if(impressions = 0, 0, clicks / impressions) AS click_rate,
    if(clicks = 0, 0, conversions / clicks) AS conversion_rate,
    value_micros
FROM
(
    SELECT
        campaign_id,
        sum(impressions) AS impressions,
        sum(clicks) AS clicks,
        sum(conversions) AS conversions,
        sum(value_micros) AS value_micros
    FROM
    (
        -- Whole days of [from, to): from the first midnight at or after `from` to the last one at
        -- or before `to` (days of 86,400 s: run ClickHouse in UTC).
        SELECT campaign_id, impressions, clicks, conversions, value_micros
        FROM events_daily FINAL
        WHERE day >= toStartOfDay({from:DateTime} + 86399) AND day < toStartOfDay({to:DateTime})
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
        UNION ALL
        -- The hours of [from, to) outside those whole days.
        SELECT campaign_id, impressions, clicks, conversions, value_micros
        FROM events_hourly FINAL
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
          AND (hour < toStartOfDay({from:DateTime} + 86399) OR hour >= toStartOfDay({to:DateTime}))
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
    )
    GROUP BY campaign_id
)
ORDER BY campaign_id
