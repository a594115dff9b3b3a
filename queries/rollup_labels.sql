-- Label-based inputs served by the rollup: labels.sql's answer. Folded matured hours ({folded}) come from
-- driftwatch_rollup_labels; the rest of the matured windows (the ref and cur pieces) is labels.sql run on the raw
-- pieces, with the outcomes that can label them (the outcome pieces: each raw piece plus the maturity delay).
WITH
  rolled AS (
    SELECT
      model,
      segment_key,
      CAST(any(segment), 'Array(String)') AS segment,
      in_ref,
      sum(events) AS events,
      sum(labeled) AS labeled,
      sum(approved) AS approved,
      sumForEach(cal_count) AS cal_count,
      sumForEach(cal_score) AS cal_score,
      sumForEach(cal_label) AS cal_label,
      sumForEach(cal_sq_error) AS cal_sq_error
    FROM (
      SELECT *, hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')} AS in_ref
      FROM {{table:driftwatch_rollup_labels}}
      WHERE variant = 'live'
        AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND (in_ref OR (hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')}))
        AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
    )
    GROUP BY model, segment_key, in_ref
  ),
  matured AS (
    SELECT transaction_id, model, segment, cityHash64(segment) AS segment_key, score, event_time, {{pieces:ref}} AS in_ref
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND ({{pieces:ref}} OR {{pieces:cur}})
  ),
  known AS (
    SELECT transaction_id, argMax(approved, outcome_time) AS approved, min(outcome_time) AS first_outcome
    FROM {{outcomes}}
    WHERE {{pieces:outcomes}} AND outcome_time < {at:DateTime64(3, 'UTC')}
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      m.model AS model,
      m.segment AS segment,
      m.segment_key AS segment_key,
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
    SELECT
      model,
      segment_key,
      any(segment) AS segment,
      in_ref,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(toFloat64(label), calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error
    FROM joined
    GROUP BY model, segment_key, in_ref, bin
  ),
  raw AS (
    SELECT
      model,
      segment_key,
      segment,
      in_ref,
      events,
      labeled,
      approved,
      arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal)), range({cal_bins:UInt16})) AS cal_count,
      arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})) AS cal_score,
      arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})) AS cal_label,
      arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16})) AS cal_sq_error
    FROM (
      SELECT model, segment_key, any(segment) AS segment, in_ref, sum(bin_events) AS events, sum(bin_labeled) AS labeled, sum(bin_approved) AS approved,
        groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal
      FROM per_bin
      GROUP BY model, segment_key, in_ref
    )
  )
SELECT
  model,
  any(segment) AS segment,
  if(in_ref, 'reference', 'current') AS window,
  sum(events) AS events,
  sum(labeled) AS labeled,
  sum(approved) AS approved,
  sumForEach(cal_count) AS cal_count,
  sumForEach(cal_score) AS cal_score,
  sumForEach(cal_label) AS cal_label,
  sumForEach(cal_sq_error) AS cal_sq_error
FROM (
  SELECT model, segment_key, segment, toUInt8(in_ref) AS in_ref, events, labeled, approved, cal_count, cal_score, cal_label, cal_sq_error FROM rolled
  UNION ALL
  SELECT model, segment_key, segment, toUInt8(in_ref), events, labeled, approved, cal_count, cal_score, cal_label, cal_sq_error FROM raw
)
-- Grouped by the segment's hash (a number), not its array of strings.
GROUP BY model, segment_key, in_ref
ORDER BY model, segment, window
