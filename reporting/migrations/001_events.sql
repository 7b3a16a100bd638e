-- Raw events, one row per event of every kind (bid, nobid, win, billing, loss, impression, click,
-- conversion, optimizer_decision, campaign_change). Money is integer micros; ts is second precision
-- (DateTime64 does not exist on 18.16), ts_ms keeps the milliseconds.
--
-- Dedup: every event has a unique event_id, and a retried insert (a spool replay, a retried
-- notice) repeats it. ReplacingMergeTree keyed by event_id alone collapses the copies, but only
-- when parts merge (eventually, never across month partitions), so plain count() over-counts.
-- Exact reads use FINAL (merges across partitions at read time on 18.16 and 26.x; keeps the last
-- inserted copy) or GROUP BY event_id with argMin(…, ts_ms) (keeps the first copy; the rollup does
-- this). Tested in reporting/clickhouse/clickhouse.case.ts. The sort key must not contain ts: a
-- retried notice has a later ts.
-- cluster-shard-key: sipHash64(event_id)
CREATE TABLE IF NOT EXISTS events
(
    event_id String,
    type String,
    ts DateTime,
    ts_ms UInt64,
    request_id String,
    bid_id String,
    imp_id String,
    exchange String,
    campaign_id String,
    line_item_id String,
    creative_id String,
    segment String,
    deal_id String,
    currency String,
    price_micros Int64,
    clearing_micros Int64,
    spend_micros Int64,
    value_micros Int64,
    loss_code Nullable(Int32),
    reason String,
    propensity Nullable(Float64),
    strategy String,
    pctr Nullable(Float64),
    pcvr Nullable(Float64),
    click_id String,
    payload String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY event_id;
