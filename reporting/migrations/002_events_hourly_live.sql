-- Live hourly rollup, maintained by a materialized view on every insert into events.
-- Caveat: a materialized view sees inserted blocks, not the deduplicated table, so a retried insert
-- (a spool replay after a lost acknowledgement, a notice the exchange sent twice) is counted twice
-- here. ClickHouse's insert dedup that would drop the replayed block first exists only for
-- Replicated tables on 18.16 (insert_deduplication_token came in 22.x). Use this table for
-- dashboards that tolerate that; events_hourly (003) is the exact rollup.
-- cluster-shard-key: rand()
CREATE TABLE IF NOT EXISTS events_hourly_live
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
    value_micros Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, campaign_id, line_item_id, creative_id, segment, exchange);

CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_live_mv TO events_hourly_live AS
SELECT
    toStartOfHour(ts) AS hour,
    campaign_id,
    line_item_id,
    creative_id,
    segment,
    exchange,
    countIf(type = 'bid') AS bids,
    countIf(type = 'win') AS wins,
    countIf(type = 'impression') AS impressions,
    countIf(type = 'billing') AS billed,
    countIf(type = 'click') AS clicks,
    countIf(type = 'conversion') AS conversions,
    sum(spend_micros) AS spend_micros,
    sum(value_micros) AS value_micros
FROM events
GROUP BY hour, campaign_id, line_item_id, creative_id, segment, exchange;
