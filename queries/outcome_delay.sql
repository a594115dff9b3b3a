-- How long authorisation outcomes take to arrive (src/aggregates/maturity.ts): over the live events of
-- [{from}, {to}) with an outcome that arrived before {at}, the delay from the event to its first outcome
-- (outcomes up to {skew_ms} before their event count, at a delay of 0), its count and its 99.9th percentile.
WITH
  sample AS (
    SELECT transaction_id, event_time
    FROM {{events}}
    WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
  ),
  first AS (
    SELECT transaction_id, min(outcome_time) AS first_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
      AND outcome_time < {at:DateTime64(3, 'UTC')}
      AND transaction_id IN (SELECT transaction_id FROM sample)
    GROUP BY transaction_id
  )
SELECT
  count() AS n,
  quantileExact(0.999)(greatest(toInt64(0), toUnixTimestamp64Milli(toDateTime64(f.first_outcome, 3, 'UTC')) - toUnixTimestamp64Milli(toDateTime64(s.event_time, 3, 'UTC')))) AS p999_ms
FROM sample AS s
INNER JOIN first AS f ON s.transaction_id = f.transaction_id
WHERE f.first_outcome >= s.event_time - toIntervalMillisecond({skew_ms:UInt64})
