-- Label-based inputs (calibration and approval rate): per model × segment and window, live events older
-- than the maturity delay joined with their outcomes. An event's label is its outcome if the outcome came
-- within the maturity delay ({maturity_ms}) of the event and before {at}: so an hour's labels are final once
-- it has matured, and a cycle's numbers do not depend on when it ran (a rollup can fold them once).
--   events      live events in the (matured) window
--   labeled     of those, events with an outcome
--   approved    of those, events the issuer approved
--   cal_*       per calibration bin [k/B, (k+1)/B) (a score of 1 in the last bin), over labeled events with a
--               valid score: count, Σ score, Σ label, Σ (score − label)²
-- All segments are returned, small ones too: the mix/rate decomposition needs the whole model.
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
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND ((event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')})
        OR (event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')}))
  ),
  known AS (
    -- The latest outcome per transaction that had arrived by {at} (outcomes is a ReplacingMergeTree).
    SELECT transaction_id, argMax(approved, outcome_time) AS approved, min(outcome_time) AS first_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {ref_from:DateTime64(3, 'UTC')} AND outcome_time < {at:DateTime64(3, 'UTC')}
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      m.model AS model,
      m.segment AS segment,
      m.in_ref AS in_ref,
      m.score AS score,
      k.transaction_id != '' AND k.first_outcome < m.event_time + toIntervalMillisecond({maturity_ms:UInt64}) AS has_label,
      k.approved AS label,
      has_label AND m.score >= 0 AND m.score <= 1 AS calibratable,
      toUInt16(least({cal_bins:UInt16} - 1, floor(m.score * {cal_bins:UInt16}))) AS cal_bin
    FROM matured AS m
    LEFT JOIN known AS k ON m.transaction_id = k.transaction_id
  ),
  per_bin AS (
    -- One row per segment × window × calibration bin; rows that cannot be calibrated go to bin {cal_bins}.
    SELECT
      model,
      segment,
      in_ref,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(toFloat64(label), calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error
    FROM joined
    GROUP BY model, segment, in_ref, bin
  )
SELECT
  model,
  segment,
  if(in_ref, 'reference', 'current') AS window,
  sum(bin_events) AS events,
  sum(bin_labeled) AS labeled,
  sum(bin_approved) AS approved,
  arraySort(x -> x.1, groupArrayIf((bin, bin_labeled, sum_score, sum_label, sum_sq_error), bin < {cal_bins:UInt16})) AS cal,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal)), range({cal_bins:UInt16})) AS cal_count,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})) AS cal_score,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})) AS cal_label,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16})) AS cal_sq_error
FROM per_bin
GROUP BY model, segment, in_ref
ORDER BY model, segment, window
