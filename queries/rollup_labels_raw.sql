-- Label sums of the raw pieces of the matured windows, per model × segment × slot (a five-minute strip, or rest
-- piece i as −(i + 1); see rollup_psi_raw.sql), in rollup_labels_delta.sql's vector layout: labels.sql's
-- rule as of {at}, outcomes looked up by the pieces' transaction ids. `settled` is the latest outcome time of any
-- outcome of the slot's events, {at} or not: a strip whose `settled` is before {at} reads the same as of any later
-- time until a new outcome for its events lands, so src/rollup/strips.ts may keep it.
WITH
  matured AS (
    SELECT transaction_id, model, segment, cityHash64(segment) AS segment_key, score, event_time,
      {{pieces:slot}} AS slot
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{pieces:read}}
  ),
  known AS (
    SELECT transaction_id,
      argMaxIf(approved, (outcome_time, approved), outcome_time < {at:DateTime64(3, 'UTC')}) AS approved,
      maxIf(outcome_time, outcome_time < {at:DateTime64(3, 'UTC')}) AS last_outcome,
      max(outcome_time) AS any_outcome
    FROM {{outcomes}}
    WHERE {{pieces:outcomes}} AND transaction_id IN (SELECT transaction_id FROM matured)
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      m.model AS model,
      m.segment AS segment,
      m.segment_key AS segment_key,
      m.slot AS slot,
      m.score AS score,
      k.transaction_id != '' AND k.last_outcome >= m.event_time - toIntervalMillisecond({skew_ms:UInt64}) AS has_label,
      toFloat64(k.approved) AS label,
      if(k.transaction_id != '' AND k.any_outcome >= m.event_time - toIntervalMillisecond({skew_ms:UInt64}), k.any_outcome, toDateTime64(0, 3, 'UTC')) AS seen,
      has_label AND m.score >= 0 AND m.score <= 1 AS calibratable,
      {{cal_bin:m.score}} AS cal_bin
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
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error,
      max(seen) AS bin_seen
    FROM joined
    GROUP BY model, segment_key, slot, bin
  ),
  sums AS (
    SELECT model, segment_key, any(seg) AS segment, slot, sum(bin_events) AS events, sum(bin_labeled) AS labeled, sum(bin_approved) AS approved,
      groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal,
      max(bin_seen) AS seen
    FROM per_bin
    GROUP BY model, segment_key, slot
  )
SELECT
  model,
  toString(segment_key) AS key,
  segment,
  slot,
  toUnixTimestamp64Milli(seen) AS settled,
  arrayConcat(
    [toFloat64(events), toFloat64(labeled), toFloat64(approved)],
    arrayMap(b -> toFloat64(arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal))), range({cal_bins:UInt16})),
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})),
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})),
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16}))) AS vec
FROM sums
