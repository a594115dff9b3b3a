-- Data quality per model over the current window (and the reference for the expected volume):
-- rows, bad scores (NaN, ±Inf, outside [0, 1]), duplicate transaction ids (the same id scored again within a
-- five-minute slot by the same model version, variant and segment: redeliveries, double scoring), events stamped in the future,
-- and live events older than the maturity delay without an outcome by {at} (labels.sql's rule).
WITH
  per_model AS (
    SELECT
      model,
      countIf(cur) AS rows,
      countIf(cur AND isNaN(score)) AS nan_scores,
      countIf(cur AND isInfinite(score)) AS inf_scores,
      countIf(cur AND isFinite(score) AND (score < 0 OR score > 1)) AS out_of_range,
      countIf(event_time >= {future:DateTime64(3, 'UTC')}) AS future_events,
      -- a duplicate repeats a (model version, variant, segment, transaction id) within one five-minute slot
      countIf(cur) - uniqExactIf((variant, model_version, segment, intDiv(toUnixTimestamp(event_time), 300), transaction_id), cur) AS duplicates,
      countIf(event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')}) AS reference_rows
    FROM (
      SELECT model, variant, model_version, segment, transaction_id, score, event_time,
        event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')} AS cur
      FROM {{events}}
      WHERE (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND ((event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')})
          OR event_time >= {cur_from:DateTime64(3, 'UTC')})
    )
    GROUP BY model
  ),
  mature AS (
    SELECT model, transaction_id, event_time
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND event_time >= {mat_from:DateTime64(3, 'UTC')} AND event_time < {mat_to:DateTime64(3, 'UTC')}
  ),
  missing AS (
    SELECT m.model AS model, count() AS mature_events,
      countIf(o.transaction_id = '' OR o.last_outcome < m.event_time - toIntervalMillisecond({skew_ms:UInt64})) AS missing_outcomes
    FROM mature AS m
    LEFT JOIN (
      SELECT transaction_id, max(outcome_time) AS last_outcome FROM {{outcomes}}
      WHERE outcome_time >= {mat_from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
        AND outcome_time < {at:DateTime64(3, 'UTC')}
        AND transaction_id IN (SELECT transaction_id FROM mature)
      GROUP BY transaction_id
    ) AS o ON m.transaction_id = o.transaction_id
    GROUP BY m.model
  )
SELECT
  p.model AS model,
  p.rows AS rows,
  p.nan_scores AS nan_scores,
  p.inf_scores AS inf_scores,
  p.out_of_range AS out_of_range,
  p.duplicates AS duplicates,
  p.future_events AS future_events,
  p.reference_rows AS reference_rows,
  m.mature_events AS mature_events,
  m.missing_outcomes AS missing_outcomes
FROM per_model AS p
LEFT JOIN missing AS m ON p.model = m.model
SETTINGS join_use_nulls = 0
