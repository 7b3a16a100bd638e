-- Purpose: the optimizer's decision log: per cycle and campaign the reason (normal, capped,
--   fallback), the bandit, and in `payload` the inputs, posterior summaries, chosen shares and the
--   note (JSON text). Newest first.
-- Parameters: from, to (DateTime, decision time in [from, to)), campaign_id ('' = all).
-- Grain: one row per decision (cycle × campaign). Source: events (type 'optimizer_decision'),
--   deduplicated by event_id.
-- columns: decision_id, first_ts_ms, campaign, bandit, why, details
SELECT
    event_id AS decision_id,
    min(ts_ms) AS first_ts_ms,
    argMin(campaign_id, ts_ms) AS campaign,
    argMin(strategy, ts_ms) AS bandit,
    argMin(reason, ts_ms) AS why,
    argMin(payload, ts_ms) AS details
FROM events
WHERE type = 'optimizer_decision' AND ts >= {from:DateTime} AND ts < {to:DateTime}
  AND ({campaign_id:String} = '' OR campaign_id = {campaign_id:String})
GROUP BY event_id
ORDER BY first_ts_ms DESC, decision_id
LIMIT 1000
