-- Performance sums of the raw pieces of the matured windows, per model × segment × slot (a five-minute strip, or rest
-- piece i as −(i + 1); see rollup_psi_raw.sql), in rollup_performance_delta.sql's sparse layout (`cells` the
-- positions, `vec` the values): performance.sql's sums, labels.sql's rule as of {at}. `settled` as in
-- rollup_labels_raw.sql: the latest time of any outcome of the slot's events, so src/rollup/strips.ts keeps a strip
-- only while no outcome of its events can still change it.
WITH
  matured AS (
    SELECT transaction_id, model, segment, cityHash64(segment) AS segment_key, score, event_time,
      {{pieces:slot}} AS slot
    FROM {{events}}
    WHERE variant = 'live'
      AND score >= 0 AND score <= 1
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
      {{grid_cell:m.score}} AS cell
    FROM matured AS m
    LEFT JOIN known AS k ON m.transaction_id = k.transaction_id
  ),
  per_cell AS (
    SELECT model, segment_key, any(segment) AS seg, slot, cell,
      countIf(has_label AND label = 1) AS positives,
      countIf(has_label AND label != 1) AS negatives,
      sumIf(pow(score - label, 2), has_label) AS brier,
      sumIf({{log_loss:score:label}}, has_label) AS log_loss,
      sumIf(pow({{log_loss:score:label}}, 2), has_label) AS log_loss_sq,
      max(seen) AS cell_seen
    FROM joined
    GROUP BY model, segment_key, slot, cell
  )
SELECT model, key, segment, slot, settled,
  arrayFilter((p, v) -> v != 0, positions, values) AS cells,
  arrayFilter(v -> v != 0, values) AS vec
FROM (
  SELECT
    model,
    toString(segment_key) AS key,
    CAST(any(seg), 'Array(String)') AS segment,
    slot,
    toUnixTimestamp64Milli(max(cell_seen)) AS settled,
    groupArray((toUInt32(cell), positives, negatives)) AS by_cell,
    arrayConcat([0, 1, 2, 3], arrayMap(x -> {positives_at:UInt32} + x.1, by_cell), arrayMap(x -> {negatives_at:UInt32} + x.1, by_cell)) AS positions,
    arrayConcat(
      [toFloat64(sum(positives) + sum(negatives)), sum(brier), sum(log_loss), sum(log_loss_sq)],
      arrayMap(x -> toFloat64(x.2), by_cell),
      arrayMap(x -> toFloat64(x.3), by_cell)) AS values
  FROM per_cell
  GROUP BY model, segment_key, slot
)
