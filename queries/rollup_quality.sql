-- Data quality served by the rollup: quality.sql's event-side counts per model (current rows, bad scores,
-- duplicates, future events, reference rows) from folded hours of driftwatch_rollup_events; the raw pieces are
-- rollup_quality_raw.sql's.
-- Mature events and missing outcomes are labels.sql's events − labeled over the matured current window: the
-- source takes them from its label sums instead of joining again. Duplicates as in quality.sql (within a
-- model version × variant × segment × five-minute slot).
WITH
  rolled AS (
    SELECT
      model,
      sumIf(events, in_cur) AS rows,
      sumIf(nan_scores, in_cur) AS nan_scores,
      sumIf(inf_scores, in_cur) AS inf_scores,
      sumIf(out_of_range, in_cur) AS out_of_range,
      sumIf(duplicates, in_cur) AS duplicates,
      sumIf(events, in_future) AS future_events,
      sumIf(events, in_ref) AS reference_rows
    FROM (
      SELECT *,
        hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')} AS in_cur,
        hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')} AS in_ref,
        hour >= {future_hour_from:DateTime('UTC')} AND hour < {future_hour_to:DateTime('UTC')} AS in_future
      FROM {{table:driftwatch_rollup_events}}
      WHERE (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND (in_cur OR in_ref OR in_future)
        AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
    )
    GROUP BY model
  )
SELECT model, rows, nan_scores, inf_scores, out_of_range, duplicates, future_events, reference_rows
FROM rolled
ORDER BY model
