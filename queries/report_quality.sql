-- Data-quality judgements of both weeks, from the history table: per model × statistic × week, the cycles
-- that judged it, how many were at warning or critical, the peak value, and when the trouble started and
-- last showed. The statistics are the quality monitor's judged rates (bad_score_rate, duplicate_rate,
-- missing_outcome_rate, volume_drop). week = 'current' for (from, to], 'previous' for (prev_from, from].
SELECT
  model,
  metric,
  if(at > {from:DateTime64(3, 'UTC')}, 'current', 'previous') AS week,
  count() AS cycles,
  countIf(severity = 'warning') AS warning_cycles,
  countIf(severity = 'critical') AS critical_cycles,
  max(value) AS peak,
  minIf(at, severity IN ('warning', 'critical')) AS first_bad,
  maxIf(at, severity IN ('warning', 'critical')) AS last_bad
FROM {{history_table}}
WHERE monitor = 'quality' AND severity != '' AND isFinite(value)
  AND at > {prev_from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
GROUP BY model, metric, week
ORDER BY model, metric, week
