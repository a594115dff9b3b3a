-- Orphan outcomes: distinct transaction ids with an outcome in the current window that match no scoring event
-- of the current window or of the maturity delay before it, so they can label nothing (an unknown transaction,
-- or an outcome too late for its event). Outcomes carry no model: one count for the store, read straight from
-- the source tables whatever serves the other aggregates; only the window's transaction ids are hashed.
SELECT uniqExact(transaction_id) AS orphan_outcomes
FROM {{outcomes}}
WHERE outcome_time >= {cur_from:DateTime64(3, 'UTC')} AND outcome_time < {cur_to:DateTime64(3, 'UTC')}
  AND transaction_id NOT IN (
    SELECT transaction_id FROM {{events}}
    WHERE event_time >= {cur_from:DateTime64(3, 'UTC')} - toIntervalMillisecond({maturity_ms:UInt64})
      AND event_time < {cur_to:DateTime64(3, 'UTC')}
  )
