-- Purpose: delivery, spend and pacing per campaign and hour (or day): bids, wins, billed
--   impressions, tracked impressions, clicks and spend, with the win rate; the API adds each
--   campaign's spend so far in the day (cumulative_spend_micros) to compare with its daily budget.
-- Parameters: from, to (DateTime, [from, to)), grain ('hour' | 'day'), campaign_id, line_item_id
--   ('' = all).
-- Grain: one row per period × campaign. Source: the exact rollups (deduplicated; as fresh as the
--   last refresh, ROLLUP_REFRESH_SEC): grain 'day' reads events_daily FINAL for the whole days of
--   the range and events_hourly FINAL for the hours outside them; grain 'hour' reads events_hourly
--   FINAL. Both give the same numbers (events_daily is the sum of its day's hours).
-- columns: period, campaign_id, bids, wins, billed, impressions, clicks, spend_micros, win_rate, cumulative_spend_micros
SELECT
    period,
    campaign_id,
    bids,
    wins,
    billed,
    impressions,
    clicks,
    spend_micros,
    if(bids = 0, 0, wins / bids) AS win_rate
FROM
(
    SELECT
        period,
        campaign_id,
        sum(bids) AS bids,
        sum(wins) AS wins,
        sum(billed) AS billed,
        sum(impressions) AS impressions,
        sum(clicks) AS clicks,
        sum(spend_micros) AS spend_micros
    FROM
    (
        -- Whole days of [from, to): from the first midnight at or after `from` to the last one at
        -- or before `to` (days of 86,400 s: run ClickHouse in UTC).
        SELECT day AS period, campaign_id, bids, wins, billed, impressions, clicks, spend_micros
        FROM events_daily FINAL
        WHERE {grain:String} = 'day'
          AND day >= toStartOfDay({from:DateTime} + 86399) AND day < toStartOfDay({to:DateTime})
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
          AND ({line_item_id:String} = '' OR line_item_id = {line_item_id:String})
        UNION ALL
        -- Every hour for grain 'hour'; for grain 'day', the hours outside those whole days.
        SELECT
            if({grain:String} = 'day', toStartOfDay(hour), hour) AS period,
            campaign_id, bids, wins, billed, impressions, clicks, spend_micros
        FROM events_hourly FINAL
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
          AND ({grain:String} != 'day'
               OR hour < toStartOfDay({from:DateTime} + 86399) OR hour >= toStartOfDay({to:DateTime}))
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
          AND ({line_item_id:String} = '' OR line_item_id = {line_item_id:String})
    )
    GROUP BY period, campaign_id
)
ORDER BY campaign_id, period
