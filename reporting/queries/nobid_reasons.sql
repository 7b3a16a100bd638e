-- Purpose: why we did not bid: no-bid events per reason and period; the API adds each reason's
--   share of the period's no-bids (18.16 has no window functions). No-bid events are sampled by the emitter; shares are exact within the
--   sample.
-- Parameters: from, to (DateTime, [from, to)), grain ('hour' | 'day').
-- Grain: one row per period × reason. Source: events (type 'nobid'), deduplicated by event_id.
-- columns: period, reason, nobids, share
SELECT
    if({grain:String} = 'day', toStartOfDay(ts), toStartOfHour(ts)) AS period,
    reason,
    uniqExact(event_id) AS nobids
FROM events
WHERE type = 'nobid' AND ts >= {from:DateTime} AND ts < {to:DateTime}
GROUP BY period, reason
ORDER BY period, nobids DESC, reason
