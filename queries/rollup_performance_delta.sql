-- Changes to the cached performance sums of the matured windows (src/rollup/window-sums.ts), as rollup_psi_delta.sql:
-- per model × segment × window and sign (+1 for hours entering the window, −1 for hours leaving it), the label
-- rollup's performance columns summed as stored — sumMap over the sparse cells, no per-row arithmetic — and the
-- sign applied by the reader (cached-reads.ts, PERFORMANCE_LAYOUT): labeled, Σ Brier, Σ log loss, Σ log loss², and
-- per grid cell the approved and the declined.
WITH
  rows AS (
    SELECT model, segment_key, segment, perf_cells, perf_positive, perf_negative, cal_sq_error, log_loss, log_loss_sq,
      {{delta_signs}}
    FROM {{table:driftwatch_rollup_labels}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
      AND {{delta_rows}}
  )
SELECT
  model,
  toString(segment_key) AS key,
  CAST(any(segment), 'Array(String)') AS segment,
  w - 1 AS window,
  s AS sign,
  toFloat64(sum(arraySum(perf_positive) + arraySum(perf_negative))) AS labeled,
  sum(arraySum(cal_sq_error)) AS brier,
  sum(log_loss) AS loss,
  sum(log_loss_sq) AS loss_sq,
  sumMap(perf_cells, perf_positive, perf_negative) AS cells
FROM rows
ARRAY JOIN signs AS s, arrayEnumerate(signs) AS w
WHERE s != 0
GROUP BY model, segment_key, w, s
