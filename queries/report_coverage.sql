-- How much history the weekly report has to work with: per week, the cycles written to the history table and
-- which monitors they carry. A cycle's values describe the window that ends at its `at`, so a week (from, to]
-- holds the cycles with from < at <= to. week = 'current' for (from, to], 'previous' for (prev_from, from].
SELECT
  if(at > {from:DateTime64(3, 'UTC')}, 'current', 'previous') AS week,
  uniqExact(cycle_id) AS cycles,
  min(at) AS first_at,
  max(at) AS last_at,
  countIf(monitor = 'psi') AS psi_rows,
  countIf(monitor = 'shadow') AS shadow_rows,
  countIf(monitor = 'quality') AS quality_rows
FROM {{history_table}}
WHERE at > {prev_from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
GROUP BY week
ORDER BY week
