-- Purpose: attributed conversions one by one, for auditing attribution: which touch (click or
--   impression) of which bid each conversion went to, and how long after it.
-- Parameters: from, to (DateTime, conversion time in [from, to)), campaign_id ('' = all).
-- Grain: one row per conversion (deduplicated by conversion id; the newest attribution).
--   Source: attributions FINAL. Conversions no touch qualified for are not listed.
-- columns: conversion_event_id, conversion_id, conversion_ts_ms, value_micros, touch_type, touch_ts_ms, lag_ms, bid_id, campaign_id, line_item_id, creative_id, exchange
SELECT
    conversion_event_id,
    conversion_id,
    conversion_ts_ms,
    value_micros,
    touch_type,
    touch_ts_ms,
    conversion_ts_ms - touch_ts_ms AS lag_ms,
    bid_id,
    campaign_id,
    line_item_id,
    creative_id,
    exchange
FROM attributions FINAL
WHERE conversion_ts >= {from:DateTime} AND conversion_ts < {to:DateTime}
  AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
ORDER BY conversion_ts_ms, conversion_event_id
