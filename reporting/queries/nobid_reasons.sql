-- Purpose: why we did not bid: no-bid events per reason and period; the API adds each reason's
--   share of the period's no-bids (18.16 has no window functions). No-bid events are sampled by
--   the emitter; shares are exact within the sample.
-- Parameters: from, to (DateTime, [from, to)), grain ('hour' | 'day').
-- Grain: one row per period × reason. Source: the exact no-bid rollups (events of type 'nobid',
--   deduplicated by event_id, first copy; as fresh as the last refresh, ROLLUP_REFRESH_SEC):
--   grain 'day' reads nobids_daily FINAL for the whole days of the range and nobids_hourly FINAL
--   for the hours outside them; grain 'hour' reads nobids_hourly FINAL.
-- columns: period, reason, nobids, share
SELECT
    period,
    reason,
    sum(nobids) AS nobids
FROM
(
    -- Whole days of [from, to): from the first midnight at or after `from` to the last one at or
    -- before `to` (days of 86,400 s: run ClickHouse in UTC).
    SELECT day AS period, reason, nobids
    FROM nobids_daily FINAL
    WHERE {grain:String} = 'day'
      AND day >= toStartOfDay({from:DateTime} + 86399) AND day < toStartOfDay({to:DateTime})
    UNION ALL
    -- Every hour for grain 'hour'; for grain 'day', the hours outside those whole days.
    SELECT if({grain:String} = 'day', toStartOfDay(hour), hour) AS period, reason, nobids
    FROM nobids_hourly FINAL
    WHERE hour >= {from:DateTime} AND hour < {to:DateTime}
      AND ({grain:String} != 'day'
           OR hour < toStartOfDay({from:DateTime} + 86399) OR hour >= toStartOfDay({to:DateTime}))
)
GROUP BY period, reason
ORDER BY period, nobids DESC, reason
