-- Changes to the cached label sums of the matured windows (src/rollup/window-sums.ts), as rollup_psi_delta.sql: per
-- model × segment × window a signed vector: events, labeled, approved, then per calibration bin count, Σ score,
-- Σ label, Σ (score − label)².
WITH
  rows AS (
    SELECT model, segment_key, segment,
      arrayConcat([toFloat64(events), toFloat64(labeled), toFloat64(approved)], arrayMap(x -> toFloat64(x), cal_count), cal_score, cal_label, cal_sq_error) AS vec,
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
  sumForEach(arrayMap(x -> x * s, vec)) AS delta
FROM rows
ARRAY JOIN signs AS s, arrayEnumerate(signs) AS w
WHERE s != 0
GROUP BY model, segment_key, w
