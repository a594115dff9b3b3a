-- Changes to the cached label sums of the matured windows (src/rollup/window-sums.ts), as rollup_psi_delta.sql: per
-- model × segment a signed vector per window: events, labeled, approved, then per calibration bin count, Σ score,
-- Σ label, Σ (score − label)².
WITH
  rows AS (
    SELECT model, segment_key, segment,
      arrayConcat([toFloat64(events), toFloat64(labeled), toFloat64(approved)], arrayMap(x -> toFloat64(x), cal_count), cal_score, cal_label, cal_sq_error) AS vec,
      toInt64(has({ref_add:Array(UInt32)}, toUnixTimestamp(hour))) - has({ref_sub:Array(UInt32)}, toUnixTimestamp(hour)) AS s_ref,
      toInt64(has({cur_add:Array(UInt32)}, toUnixTimestamp(hour))) - has({cur_sub:Array(UInt32)}, toUnixTimestamp(hour)) AS s_cur
    FROM {{table:driftwatch_rollup_labels}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND hour IN (SELECT arrayJoin({hours:Array(DateTime('UTC'))}))
      AND toUnixTimestamp(hour) >= {base:UInt32}
      AND version = {versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1]
  )
SELECT
  model,
  toString(segment_key) AS key,
  CAST(any(segment), 'Array(String)') AS segment,
  sumForEach(arrayMap(x -> x * s_ref, vec)) AS d_ref,
  sumForEach(arrayMap(x -> x * s_cur, vec)) AS d_cur
FROM rows
GROUP BY model, segment_key
