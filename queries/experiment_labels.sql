-- The arms of experiments (src/monitors/experiments/): per model × live version × segment, the live events of the
-- pieces (the span placeholder) with labels.sql's label rule as of {at}: events, labeled, approved, the calibration bins'
-- sums, performance.sql's calibratable events per score-grid cell by outcome (sparse), the decisions (approve,
-- decline, review, other) and the latencies per log-grid cell (sparse) — the columns of driftwatch_rollup_labels, so the rollup path adds its folded hours to these rows (rollup_experiment.sql).
WITH
  arms AS (
    SELECT transaction_id, model, model_version, segment, score, decision, latency_ms, event_time
    FROM {{events}}
    WHERE variant = 'live'
      AND has({models:Array(String)}, model)
      AND has({versions:Array(String)}, model_version)
      AND {{pieces:span}}
  ),
  known AS (
    SELECT transaction_id, argMax(approved, (outcome_time, approved)) AS approved, max(outcome_time) AS last_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {span_from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
      AND outcome_time < {at:DateTime64(3, 'UTC')}
      AND transaction_id IN (SELECT transaction_id FROM arms)
    GROUP BY transaction_id
  ),
  joined AS (
    SELECT
      a.model AS model,
      toString(a.model_version) AS arm,
      CAST(a.segment, 'Array(String)') AS segment,
      a.score AS score,
      k.transaction_id != '' AND k.last_outcome >= a.event_time - toIntervalMillisecond({skew_ms:UInt64}) AS has_label,
      k.approved AS label,
      has_label AND a.score >= 0 AND a.score <= 1 AS calibratable,
      {{cal_bin:a.score}} AS cal_bin,
      {{grid_cell:a.score}} AS cell,
      indexOf(['approve', 'decline', 'review'], a.decision) AS decision_at,
      isFinite(a.latency_ms) AND a.latency_ms >= 0 AS timed,
      {{latency_cell:a.latency_ms}} AS latency_cell
    FROM arms AS a
    LEFT JOIN known AS k ON a.transaction_id = k.transaction_id
  ),
  per_bin AS (
    -- labels.sql's per-bin sums; rows that cannot be calibrated go to bin {cal_bins}.
    SELECT
      model, arm, segment,
      if(calibratable, cal_bin, {cal_bins:UInt16}) AS bin,
      count() AS bin_events,
      countIf(has_label) AS bin_labeled,
      countIf(has_label AND label = 1) AS bin_approved,
      sumIf(score, calibratable) AS sum_score,
      sumIf(toFloat64(label), calibratable) AS sum_label,
      sumIf(pow(score - label, 2), calibratable) AS sum_sq_error,
      sumMapIf([toUInt8(cell)], [toUInt64(label = 1)], [toUInt64(label != 1)], calibratable) AS bin_perf,
      [countIf(decision_at = 1), countIf(decision_at = 2), countIf(decision_at = 3), countIf(decision_at = 0)] AS bin_decisions,
      sumMapIf([toUInt16(latency_cell)], [toUInt64(1)], timed) AS bin_latency
    FROM joined
    GROUP BY model, arm, segment, bin
  )
SELECT
  model, arm, segment, events, labeled, approved,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.2, 0), cal)), range({cal_bins:UInt16})) AS cal_count,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.3, 0), cal)), range({cal_bins:UInt16})) AS cal_score,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.4, 0), cal)), range({cal_bins:UInt16})) AS cal_label,
  arrayMap(b -> arraySum(arrayMap(x -> if(x.1 = b, x.5, 0), cal)), range({cal_bins:UInt16})) AS cal_sq_error,
  perf.1 AS perf_cells, perf.2 AS perf_positive, perf.3 AS perf_negative,
  decisions, latency.1 AS latency_cells, latency.2 AS latency_counts
FROM (
  SELECT
    model, arm, segment,
    sum(bin_events) AS events,
    sum(bin_labeled) AS labeled,
    sum(bin_approved) AS approved,
    groupArray((bin, bin_labeled, sum_score, sum_label, sum_sq_error)) AS cal,
    sumMap(bin_perf.1, bin_perf.2, bin_perf.3) AS perf,
    sumForEach(bin_decisions) AS decisions,
    sumMap(bin_latency.1, bin_latency.2) AS latency
  FROM per_bin
  GROUP BY model, arm, segment
)
