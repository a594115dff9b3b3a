-- Label and performance sums of the raw pieces of the matured windows, per model × segment × slot (a five-minute
-- strip, or rest piece i as −(i + 1); see rollup_psi_raw.sql), from one join of the pieces' events with their
-- outcomes (labels.sql's rule as of {at}, outcomes looked up by the pieces' transaction ids):
--   vec          rollup_labels_delta.sql's dense layout (every event: events, labeled, approved, per calibration bin)
--   perf_cells, perf_vec   rollup_performance_delta.sql's sparse layout (`perf_cells` the positions, `perf_vec` the
--                values): performance.sql's sums over the events scored in [0, 1]; `scored` counts those events (a
--                slot with none has no performance row)
-- `settled` is the latest outcome time of any outcome of the slot's events, {at} or not: a strip whose `settled` is
-- before {at} reads the same as of any later time until a new outcome for its events lands, so src/rollup/strips.ts
-- may keep it.
WITH
  matured AS (
    SELECT transaction_id, model, segment, cityHash64(segment) AS segment_key, score, event_time,
      {{pieces:slot}} AS slot
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
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
      m.score >= 0 AND m.score <= 1 AS scored
    FROM matured AS m
    LEFT JOIN known AS k ON m.transaction_id = k.transaction_id
  ),
  binned AS (
    -- Cells and bins of unscored events are never used; 0.5 stands in so NaN never reaches an integer cast.
    SELECT *, if(scored, score, 0.5) AS safe, has_label AND scored AS calibratable, {{cal_bin:safe}} AS cal_bin, {{grid_cell:safe}} AS cell
    FROM joined
  ),
  per_cell AS (
    -- labels.sql's per-bin sums (events that cannot be calibrated in bin {cal_bins}) and performance.sql's per-cell
    -- sums in one grouping: a grid cell spans at most two calibration bins. Grouped by the segment's hash (a
    -- number), not its array of strings.
    SELECT
      model, segment_key, any(segment) AS seg, slot,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      toUInt32(if(scored, cell, 0)) AS grid_cell,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(label, calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error,
      countIf(scored) AS n_scored,
      countIf(calibratable AND label = 1) AS positives,
      countIf(calibratable AND label != 1) AS negatives,
      sumIf({{log_loss:score:label}}, calibratable) AS log_loss,
      sumIf(pow({{log_loss:score:label}}, 2), calibratable) AS log_loss_sq,
      max(seen) AS bin_seen
    FROM binned
    GROUP BY model, segment_key, slot, bin, grid_cell
  ),
  sums AS (
    SELECT model, segment_key, any(seg) AS segment, slot, sum(bin_events) AS events, sum(bin_labeled) AS labeled, sum(bin_approved) AS approved,
      groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal,
      sum(n_scored) AS scored_events,
      sumIf(sum_sq_error, n_scored > 0) AS brier,
      sum(log_loss) AS loss,
      sum(log_loss_sq) AS loss_sq,
      sumMapIf([grid_cell], [positives], [negatives], n_scored > 0) AS by_cell,
      max(bin_seen) AS seen
    FROM per_cell
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
    arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16}))) AS vec,
  scored_events AS scored,
  arrayConcat([0, 1, 2, 3], arrayMap(c -> {positives_at:UInt32} + c, by_cell.1), arrayMap(c -> {negatives_at:UInt32} + c, by_cell.1)) AS perf_positions,
  arrayConcat(
    [toFloat64(arraySum(by_cell.2) + arraySum(by_cell.3)), brier, loss, loss_sq],
    arrayMap(x -> toFloat64(x), by_cell.2),
    arrayMap(x -> toFloat64(x), by_cell.3)) AS perf_values,
  arrayFilter((p, v) -> v != 0, perf_positions, perf_values) AS perf_cells,
  arrayFilter(v -> v != 0, perf_values) AS perf_vec
FROM sums
