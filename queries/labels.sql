-- Label-based inputs (calibration and approval rate): per model × segment and window, live events older
-- than the maturity delay joined with their outcomes.
-- The label rule (README, "Labels and maturity"): an event's label is the latest outcome of its transaction by
-- outcome time (ties: the larger label) among those that arrived before {at} and not more than {skew_ms} before the
-- event. A ReplacingMergeTree merge keeps exactly that latest row, so merges cannot change a label. The maturity
-- delay only decides when an event without any outcome counts as missing: the label monitors' windows end the delay
-- before {at}, so every event they count without a label is missing.
--   events      live events in the (matured) window
--   labeled     of those, events with an outcome
--   approved    of those, events the issuer approved
--   cal_*       per calibration bin [k/B, (k+1)/B) (edges k/B as Float64, a score of 1 in the last bin: the cal_bin
--               placeholder, src/aggregates/calibration-bins.ts), over labeled events with a
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
  joined AS (
    SELECT
      m.model AS model,
      m.segment AS segment,
      m.in_ref AS in_ref,
      m.score AS score,
      k.transaction_id != '' AND k.last_outcome >= m.event_time - toIntervalMillisecond({skew_ms:UInt64}) AS has_label,
      k.approved AS label,
      has_label AND m.score >= 0 AND m.score <= 1 AS calibratable,
      -- total over every Float64: a score outside [0, 1] takes bin 0 here and bin {cal_bins} below
      {{cal_bin:m.score}} AS cal_bin
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
