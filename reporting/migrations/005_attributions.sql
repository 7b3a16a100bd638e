-- One row per conversion: the touch (click or impression) it is attributed to, written by
-- refreshAttribution() (reporting/attribution/attribution.ts) from the deduplicated events with
-- reporting/attribution/attribute.sql. Last click within the campaign's click-through window, else
-- last impression within its view-through window. Each refresh rewrites the conversions of its
-- window with a newer version; ReplacingMergeTree keeps the newest, so read with FINAL and a
-- conversion counts once however often it was posted or re-attributed. Conversions no touch
-- qualifies for have no row here (the funnel report counts them from events).
-- cluster-shard-key: cityHash64(conversion_event_id)
CREATE TABLE IF NOT EXISTS attributions
(
    conversion_event_id String,
    conversion_id String,
    conversion_ts DateTime,
    conversion_ts_ms UInt64,
    value_micros Int64,
    touch_type String,
    touch_event_id String,
    touch_ts_ms UInt64,
    bid_id String,
    campaign_id String,
    line_item_id String,
    creative_id String,
    segment String,
    exchange String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(conversion_ts)
ORDER BY conversion_event_id;
