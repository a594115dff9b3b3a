-- Orphan outcomes per outcome hour in [{from}, {to}) (whole hours), as of {at}: transactions whose latest outcome
-- before {at} lies in the hour and that have no scoring event (any model or variant) from {lookback_ms} before
-- that hour (a day, or the maturity delay if longer: src/rollup/plan.ts) to its end: outcomes of unknown
-- transactions. Each transaction counts once, at its latest outcome (the row a ReplacingMergeTree merge keeps), so
-- merges never change the count; a correction hours after its event finds the event, so it is no orphan.
--   orphan_ids  the orphans' ids: a later outcome of one of them moves it out of this hour (src/rollup/detect.ts)
--   settled     the latest outcome time, {at} or not, of any transaction with an outcome in [{from}, {to}): a fold
--               (at the open end) counted these hours as of any time after it
-- ASOF finds each latest outcome's latest event before its hour's end. Events are read from the lookback before
-- {from} to {to} only; outcomes of the hours' transactions from {from} on (an earlier one is never the latest).
WITH
  here AS (
    SELECT DISTINCT transaction_id FROM {{outcomes}}
    WHERE outcome_time >= {from:DateTime64(3, 'UTC')} AND outcome_time < {to:DateTime64(3, 'UTC')}
      AND outcome_time < {at:DateTime64(3, 'UTC')}
  ),
  latest AS (
    SELECT transaction_id, maxIf(outcome_time, outcome_time < {at:DateTime64(3, 'UTC')}) AS last, max(outcome_time) AS seen
    FROM {{outcomes}}
    WHERE outcome_time >= {from:DateTime64(3, 'UTC')} AND transaction_id IN (SELECT transaction_id FROM here)
    GROUP BY transaction_id
  ),
  settled AS (SELECT toUnixTimestamp64Milli(max(seen)) AS ms FROM latest)
SELECT
  toStartOfHour(o.last) AS hour,
  count() AS outcomes,
  -- ifNull: an unmatched row has the default time (or NULL under join_use_nulls), an orphan either way
  countIf(NOT ifNull(e.event_time >= toStartOfHour(o.last) - toIntervalMillisecond({lookback_ms:UInt64}), 0)) AS orphans,
  groupArrayIf(o.transaction_id, NOT ifNull(e.event_time >= toStartOfHour(o.last) - toIntervalMillisecond({lookback_ms:UInt64}), 0)) AS orphan_ids,
  any((SELECT ms FROM settled)) AS settled
FROM (
  SELECT transaction_id, last, toStartOfHour(last) + INTERVAL 1 HOUR AS hour_end
  FROM latest
  WHERE last >= {from:DateTime64(3, 'UTC')} AND last < {to:DateTime64(3, 'UTC')}
) AS o
ASOF LEFT JOIN (
  SELECT transaction_id, event_time
  FROM {{events}}
  WHERE event_time >= {from:DateTime64(3, 'UTC')} - toIntervalMillisecond({lookback_ms:UInt64})
    AND event_time < {to:DateTime64(3, 'UTC')}
) AS e
ON o.transaction_id = e.transaction_id AND o.hour_end > e.event_time
GROUP BY hour
