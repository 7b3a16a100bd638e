-- Purpose: creative A/B comparison within a line item: CTR (clicks per billed impression) and CVR
--   (attributed conversions per click) of each creative with 95 % Wilson score intervals; the API
--   marks a creative whose CTR interval lies wholly below the line item's leader (by CTR) as
--   `ctr_below_leader`. Wilson, not the normal approximation: it stays inside [0, 1] and is usable
--   at the small counts and rates of ads (CTR ~0.1 %), where p ± z·√(p(1−p)/n) goes negative.
-- Parameters: from, to (DateTime, [from, to)), line_item_id ('' = every line item), campaign_id
--   ('' = all).
-- Grain: one row per line item × creative over the range. Source: events_daily FINAL for the
--   whole days of the range, events_hourly FINAL for the hours outside them (exact,
--   deduplicated; as fresh as the last refresh, ROLLUP_REFRESH_SEC).
-- columns: line_item_id, creative_id, impressions, clicks, conversions, ctr, ctr_low, ctr_high, cvr, cvr_low, cvr_high, ctr_below_leader
SELECT
    line_item_id,
    creative_id,
    n AS impressions,
    k AS clicks,
    cv AS conversions,
    if(n = 0, 0, k / n) AS ctr,
    if(n = 0, 0, greatest(0, ((k / n) + z2 / (2 * n) - z * sqrt((k / n) * (1 - k / n) / n + z2 / (4 * n * n))) / (1 + z2 / n))) AS ctr_low,
    if(n = 0, 0, least(1, ((k / n) + z2 / (2 * n) + z * sqrt((k / n) * (1 - k / n) / n + z2 / (4 * n * n))) / (1 + z2 / n))) AS ctr_high,
    if(k = 0, 0, cv / k) AS cvr,
    if(k = 0, 0, greatest(0, ((cv / k) + z2 / (2 * k) - z * sqrt((cv / k) * (1 - cv / k) / k + z2 / (4 * k * k))) / (1 + z2 / k))) AS cvr_low,
    if(k = 0, 0, least(1, ((cv / k) + z2 / (2 * k) + z * sqrt((cv / k) * (1 - cv / k) / k + z2 / (4 * k * k))) / (1 + z2 / k))) AS cvr_high
FROM
(
    SELECT
        line_item_id,
        creative_id,
        sum(billed) AS n,
        -- clicks and conversions capped at their base: a rate above 1 has no interval
        least(sum(clicks), sum(billed)) AS k,
        least(sum(conversions), least(sum(clicks), sum(billed))) AS cv,
        1.959963984540054 AS z,
        z * z AS z2
    FROM
    (
        -- Whole days of [from, to): from the first midnight at or after `from` to the last one at
        -- or before `to` (days of 86,400 s: run ClickHouse in UTC).
        SELECT line_item_id, creative_id, billed, clicks, conversions
        FROM events_daily FINAL
        WHERE day >= toStartOfDay({from:DateTime} + 86399) AND day < toStartOfDay({to:DateTime})
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
          AND ({line_item_id:String} = '' OR line_item_id = {line_item_id:String})
        UNION ALL
        -- The hours of [from, to) outside those whole days.
        SELECT line_item_id, creative_id, billed, clicks, conversions
        FROM events_hourly FINAL
        WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
          AND (hour < toStartOfDay({from:DateTime} + 86399) OR hour >= toStartOfDay({to:DateTime}))
          AND campaign_id != ''
          AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
          AND ({line_item_id:String} = '' OR line_item_id = {line_item_id:String})
    )
    GROUP BY line_item_id, creative_id
)
ORDER BY line_item_id, ctr DESC, creative_id
