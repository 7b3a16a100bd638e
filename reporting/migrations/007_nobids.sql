-- Exact no-bid rollups for the nobid_reasons report, which read the raw events before (152 ms p95
-- over 30 days at 10M events, bench/README.md). nobids_hourly is recomputed by
-- refreshNoBidRollup() (reporting/clickhouse/hourly-rollup.ts) from the no-bid events of the
-- refreshed hours, deduplicated by event_id (first copy wins, by ts_ms: a replayed batch counts
-- once); nobids_daily is recomputed from nobids_hourly FINAL for the days those hours touch, by
-- refreshDailyRollups(). No-bid events are sampled by the emitter (NOBID_SAMPLE_RATE): the counts
-- are those of the sample. Same versioning as events_hourly (003): read with FINAL.
-- cluster-shard-key: cityHash64(hour, reason, exchange)
CREATE TABLE IF NOT EXISTS nobids_hourly
(
    hour DateTime,
    reason String,
    exchange String,
    nobids UInt64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, reason, exchange);

-- cluster-shard-key: cityHash64(day, reason, exchange)
CREATE TABLE IF NOT EXISTS nobids_daily
(
    day DateTime,
    reason String,
    exchange String,
    nobids UInt64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, reason, exchange);
