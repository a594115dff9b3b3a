-- The worst PSI of each model in each week, from the history table: the highest value any segment and feature
-- reached in any cycle, and where. week = 'current' for (from, to], 'previous' for (prev_from, from]
-- (a cycle's values describe the window ending at its `at`).
SELECT
  model,
  if(at > {from:DateTime64(3, 'UTC')}, 'current', 'previous') AS week,
  max(value) AS peak,
  argMax(feature, value) AS feature,
  argMax(segment, value) AS segment,
  argMax(at, value) AS peak_at,
  uniqExact(cycle_id) AS cycles
FROM {{history_table}}
WHERE monitor = 'psi' AND metric = 'psi' AND isFinite(value)
  AND at > {prev_from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
GROUP BY model, week
ORDER BY model, week
