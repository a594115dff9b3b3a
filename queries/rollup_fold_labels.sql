-- Folds the matured event hours in [{from}, {to}) into driftwatch_rollup_labels under {version}: labels.sql per
-- model × version × variant × segment × hour, live rows only (every reader of the table asks for live; shadow
-- pairs have their own rollup, rollup_fold_shadow.sql). An event's label is its outcome if the outcome came within the
-- maturity delay, so the outcomes needed are those in [{from}, {to} + maturity): with the outcomes projection by
-- outcome time that is one chunk's worth, and the hash table of the join stays the size of one chunk.
INSERT INTO {{table:driftwatch_rollup_labels}}
  (model, model_version, variant, segment, segment_key, hour, version, events, labeled, approved, cal_count, cal_score, cal_label, cal_sq_error)
WITH
  chunk AS (
    SELECT transaction_id, model, model_version, variant, segment, score, event_time
    FROM {{events}}
    WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')} AND variant = 'live'
  ),
  known AS (
    SELECT transaction_id, argMax(approved, outcome_time) AS approved, min(outcome_time) AS first_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {from:DateTime64(3, 'UTC')}
      AND outcome_time < {to:DateTime64(3, 'UTC')} + toIntervalMillisecond({maturity_ms:UInt64})
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      c.model AS model,
      c.model_version AS model_version,
      c.variant AS variant,
      c.segment AS segment,
      toStartOfHour(c.event_time) AS hour,
      c.score AS score,
      k.transaction_id != '' AND k.first_outcome < c.event_time + toIntervalMillisecond({maturity_ms:UInt64}) AS has_label,
      k.approved AS label,
      has_label AND c.score >= 0 AND c.score <= 1 AS calibratable,
      toUInt16(least({cal_bins:UInt16} - 1, floor(c.score * {cal_bins:UInt16}))) AS cal_bin
    FROM chunk AS c
    LEFT JOIN known AS k ON c.transaction_id = k.transaction_id
  ),
  per_bin AS (
    -- labels.sql's per-bin sums; rows that cannot be calibrated go to bin {cal_bins}.
    SELECT
      model, model_version, variant, segment, hour,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(toFloat64(label), calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error
    FROM joined
    GROUP BY model, model_version, variant, segment, hour, bin
  )
SELECT
  model, model_version, variant, segment, cityHash64(segment), hour,
  {version:UInt64},
  events,
  labeled,
  approved,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal)), range({cal_bins:UInt16})),
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})),
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})),
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16}))
FROM (
  SELECT
    model, model_version, variant, segment, hour,
    sum(bin_events) AS events,
    sum(bin_labeled) AS labeled,
    sum(bin_approved) AS approved,
    groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal
  FROM per_bin
  GROUP BY model, model_version, variant, segment, hour
)
