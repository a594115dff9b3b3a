-- Label sums of the raw pieces of the matured windows, per model × segment × slot (a five-minute strip, or the rest
-- of window w's pieces as −(w + 1); see rollup_psi_raw.sql), in rollup_labels_delta.sql's vector layout: labels.sql's
-- rule, with the outcomes that can label the pieces (each piece plus the maturity delay).
WITH
  matured AS (
    SELECT transaction_id, model, segment, cityHash64(segment) AS segment_key, score, event_time,
      multiIf({{pieces:strips}}, toInt64(intDiv(toUnixTimestamp(event_time), 300) * 300), {{pieces:rest0}}, -1, -2) AS slot
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND ({{pieces:strips}} OR {{pieces:rest0}} OR {{pieces:rest1}})
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
      m.slot AS slot,
      m.score AS score,
      k.transaction_id != '' AND k.first_outcome < m.event_time + toIntervalMillisecond({maturity_ms:UInt64}) AS has_label,
      toFloat64(k.approved) AS label,
      has_label AND m.score >= 0 AND m.score <= 1 AS calibratable,
      toUInt16(least({cal_bins:UInt16} - 1, floor(m.score * {cal_bins:UInt16}))) AS cal_bin
    FROM matured AS m
    LEFT JOIN known AS k ON m.transaction_id = k.transaction_id
  ),
  per_bin AS (
    -- labels.sql's per-bin sums; rows that cannot be calibrated go to bin {cal_bins}.
    -- Grouped by the segment's hash (a number), not its array of strings.
    SELECT
      model, segment_key, any(segment) AS seg, slot,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(label, calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error
    FROM joined
    GROUP BY model, segment_key, slot, bin
  ),
  sums AS (
    SELECT model, segment_key, any(seg) AS segment, slot, sum(bin_events) AS events, sum(bin_labeled) AS labeled, sum(bin_approved) AS approved,
      groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal
    FROM per_bin
    GROUP BY model, segment_key, slot
  )
SELECT
  model,
  toString(segment_key) AS key,
  segment,
  slot,
  arrayConcat(
    [toFloat64(events), toFloat64(labeled), toFloat64(approved)],
    arrayMap(b -> toFloat64(arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal))), range({cal_bins:UInt16})),
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})),
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})),
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16}))) AS vec
FROM sums
