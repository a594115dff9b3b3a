-- The performance monitor's input: per model × segment and window, the live events older than the maturity delay
-- that have a label (labels.sql's rule, as of {at}) and a score in [0, 1], counted per cell of the score grid by
-- outcome, with their log loss and Brier sums:
--   labeled       such events (labels.sql's calibratable events)
--   brier         Σ (score − label)²
--   log_loss      Σ −[label·ln p + (1 − label)·ln(1 − p)], p the score clamped to [1e-15, 1 − 1e-15]
--   log_loss_sq   Σ of its square (the log loss test's variance)
--   cells         grid cells with such events, and per cell the approved (`positives`) and the declined (`negatives`)
WITH
  matured AS (
    SELECT
      transaction_id,
      model,
      segment,
      score,
      event_time,
      event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')} AS in_ref
    FROM {{events}}
    WHERE variant = 'live'
      AND score >= 0 AND score <= 1
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
      AND ((event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')})
        OR (event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')}))
  ),
  known AS (
    SELECT transaction_id, argMax(approved, (outcome_time, approved)) AS approved, max(outcome_time) AS last_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {ref_from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
      AND outcome_time < {at:DateTime64(3, 'UTC')}
      AND transaction_id IN (SELECT transaction_id FROM matured)
    GROUP BY transaction_id
  ),
  labeled AS (
    SELECT
      m.model AS model,
      m.segment AS segment,
      m.in_ref AS in_ref,
      m.score AS score,
      toFloat64(k.approved) AS label,
      {{grid_cell:m.score}} AS cell
    FROM matured AS m
    INNER JOIN known AS k ON m.transaction_id = k.transaction_id
    WHERE k.last_outcome >= m.event_time - toIntervalMillisecond({skew_ms:UInt64})
  ),
  per_cell AS (
    SELECT
      model, segment, in_ref, cell,
      countIf(label = 1) AS cell_positives,
      countIf(label != 1) AS cell_negatives,
      sum(pow(score - label, 2)) AS cell_brier,
      sum({{log_loss:score:label}}) AS cell_log_loss,
      sum(pow({{log_loss:score:label}}, 2)) AS cell_log_loss_sq
    FROM labeled
    GROUP BY model, segment, in_ref, cell
  )
SELECT
  model,
  segment,
  if(in_ref, 'reference', 'current') AS window,
  sum(cell_positives + cell_negatives) AS labeled,
  sum(cell_brier) AS brier,
  sum(cell_log_loss) AS log_loss,
  sum(cell_log_loss_sq) AS log_loss_sq,
  arraySort(groupArray((toUInt16(cell), cell_positives, cell_negatives))) AS by_cell,
  arrayMap(x -> x.1, by_cell) AS cells,
  arrayMap(x -> x.2, by_cell) AS positives,
  arrayMap(x -> x.3, by_cell) AS negatives
FROM per_cell
GROUP BY model, segment, in_ref
ORDER BY model, segment, window
