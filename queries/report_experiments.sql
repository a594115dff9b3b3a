-- Experiments of the reported week (from, to], from the history table: per model × treatment (`shadow_version`) ×
-- control (`feature`), the latest verdict with its reasons (history keeps `verdict: reasons` in `note`), how many
-- cycles gave each verdict, and the latest approval lift with its confidence sequence's bounds.
SELECT
  model,
  shadow_version AS treatment,
  feature AS control,
  argMaxIf(value, at, metric = 'experiment_verdict') AS verdict_value,
  argMaxIf(note, at, metric = 'experiment_verdict') AS note,
  maxIf(at, metric = 'experiment_verdict') AS verdict_at,
  countIf(metric = 'experiment_verdict' AND value = 1) AS ship_cycles,
  countIf(metric = 'experiment_verdict' AND value = 0) AS continue_cycles,
  countIf(metric = 'experiment_verdict' AND value = -1) AS rollback_cycles,
  argMaxIf(value, at, metric = 'experiment_lift') AS lift,
  argMaxIf(value, at, metric = 'experiment_lift_lo') AS lo,
  argMaxIf(value, at, metric = 'experiment_lift_hi') AS hi
FROM {{history_table}}
WHERE monitor = 'experiments' AND at > {from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
GROUP BY model, shadow_version, feature
HAVING countIf(metric = 'experiment_verdict') > 0
ORDER BY model, treatment, control
