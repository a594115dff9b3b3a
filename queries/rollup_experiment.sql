-- experiment_labels.sql served by the rollup: the folded label hours inside the span (driftwatch_rollup_labels,
-- the ledger's version of each) plus experiment_labels.sql's rows for the raw pieces (the raw placeholder), summed per
-- model × live version × segment.
SELECT model, arm, segment, events, labeled, approved, cal_count, cal_score, cal_label, cal_sq_error,
  perf.1 AS perf_cells, perf.2 AS perf_positive, perf.3 AS perf_negative,
  decisions, latency.1 AS latency_cells, latency.2 AS latency_counts
FROM (
SELECT
  model,
  arm,
  segment,
  sum(events) AS events,
  sum(labeled) AS labeled,
  sum(approved) AS approved,
  sumForEach(cal_count) AS cal_count,
  sumForEach(cal_score) AS cal_score,
  sumForEach(cal_label) AS cal_label,
  sumForEach(cal_sq_error) AS cal_sq_error,
  sumMap(perf_cells, perf_positive, perf_negative) AS perf,
  sumForEach(decisions) AS decisions,
  sumMap(latency_cells, latency_counts) AS latency
FROM (
  SELECT
    model,
    toString(model_version) AS arm,
    CAST(segment, 'Array(String)') AS segment,
    events, labeled, approved, cal_count, cal_score, cal_label, cal_sq_error, perf_cells, perf_positive, perf_negative,
    decisions, latency_cells, latency_counts
  FROM {{table:driftwatch_rollup_labels}}
  WHERE variant = 'live'
    AND has({models:Array(String)}, model)
    AND has({versions:Array(String)}, model_version)
    AND hour >= {span_hour_from:DateTime('UTC')} AND hour < {span_hour_to:DateTime('UTC')}
    AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
  UNION ALL
  SELECT * FROM {{pieces:raw}}
)
GROUP BY model, arm, segment
)
