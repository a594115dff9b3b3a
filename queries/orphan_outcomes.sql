-- Orphan outcomes per outcome hour in [{from}, {to}) (whole hours): distinct transaction ids with an outcome in the
-- hour and no scoring event (any model or variant) from {lookback_ms} before the hour (a day, or the maturity delay
-- if longer: src/rollup/detect.ts) to the hour's end: outcomes of unknown transactions. A correction that comes
-- hours after its event finds the event, so it is no orphan. Counted per hour, so an hour's count is final once
-- the hour is over and the rollup folds it once (driftwatch_rollup_orphans).
-- ASOF finds each outcome's latest event before its hour's end; no event, or one older than the lookback before
-- the hour, makes it an orphan. Events are read from the lookback before {from} to {to} only.
SELECT
  toStartOfHour(o.outcome_time) AS hour,
  uniqExact(o.transaction_id) AS outcomes,
  -- ifNull: an unmatched row has the default time (or NULL under join_use_nulls), an orphan either way
  uniqExactIf(o.transaction_id, NOT ifNull(e.event_time >= toStartOfHour(o.outcome_time) - toIntervalMillisecond({lookback_ms:UInt64}), 0)) AS orphans
FROM (
  SELECT transaction_id, outcome_time, toStartOfHour(outcome_time) + INTERVAL 1 HOUR AS hour_end
  FROM {{outcomes}}
  WHERE outcome_time >= {from:DateTime64(3, 'UTC')} AND outcome_time < {to:DateTime64(3, 'UTC')}
) AS o
ASOF LEFT JOIN (
  SELECT transaction_id, event_time
  FROM {{events}}
  WHERE event_time >= {from:DateTime64(3, 'UTC')} - toIntervalMillisecond({lookback_ms:UInt64})
    AND event_time < {to:DateTime64(3, 'UTC')}
) AS e
ON o.transaction_id = e.transaction_id AND o.hour_end > e.event_time
GROUP BY hour
