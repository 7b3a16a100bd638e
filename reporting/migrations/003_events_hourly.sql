-- Exact hourly rollup, recomputed from the deduplicated events by refreshHourlyRollup()
-- (reporting/clickhouse/hourly-rollup.ts) for the hours that received events. Each refresh writes
-- every group of its window with a newer version; ReplacingMergeTree keeps the newest, and
-- readers use FINAL (the key is the group, so all versions of a group share a partition).
-- cluster-shard-key: cityHash64(hour, campaign_id, line_item_id, creative_id, segment, exchange)
CREATE TABLE IF NOT EXISTS events_hourly
(
    hour DateTime,
    campaign_id String,
    line_item_id String,
    creative_id String,
    segment String,
    exchange String,
    bids UInt64,
    wins UInt64,
    impressions UInt64,
    billed UInt64,
    clicks UInt64,
    conversions UInt64,
    spend_micros Int64,
    value_micros Int64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, campaign_id, line_item_id, creative_id, segment, exchange);
