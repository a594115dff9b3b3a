-- Data quality served by the rollup: quality.sql's event-side counts per model (current rows, bad scores,
-- duplicates, future events, reference rows) from folded hours of driftwatch_rollup_events plus raw pieces.
-- Mature events and missing outcomes are labels.sql's events − labeled over the matured current window: the
-- source takes them from its label sums instead of joining again. Duplicates are counted within
-- model × version × variant × segment × hour (an id repeated across hours or segments is not counted).
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
  ),
  raw AS (
    SELECT model, sum(rows) AS r, sum(nan_scores) AS n, sum(inf_scores) AS i, sum(out_of_range) AS o, sum(duplicates) AS d, sum(future_events) AS f, sum(reference_rows) AS rr
    FROM (
      SELECT
        model,
        countIf(cur) AS rows,
        countIf(cur AND isNaN(score)) AS nan_scores,
        countIf(cur AND isInfinite(score)) AS inf_scores,
        countIf(cur AND isFinite(score) AND (score < 0 OR score > 1)) AS out_of_range,
        countIf(cur) - uniqExactIf(transaction_id, cur) AS duplicates,
        countIf(fut) AS future_events,
        countIf(ref) AS reference_rows
      FROM (
        SELECT model, model_version, variant, segment, transaction_id, score, toStartOfHour(event_time) AS hour,
          {{pieces:cur}} AS cur, {{pieces:ref}} AS ref, {{pieces:future}} AS fut
        FROM {{events}}
        WHERE (empty({models:Array(String)}) OR has({models:Array(String)}, model))
          AND (cur OR ref OR fut)
      )
      GROUP BY model, model_version, variant, segment, hour
    )
    GROUP BY model
  )
SELECT
  model,
  sum(rows) AS rows,
  sum(nan_scores) AS nan_scores,
  sum(inf_scores) AS inf_scores,
  sum(out_of_range) AS out_of_range,
  sum(duplicates) AS duplicates,
  sum(future_events) AS future_events,
  sum(reference_rows) AS reference_rows
FROM (
  -- Int64 throughout: branches of different integer types would meet as a Variant.
  SELECT model, toInt64(rows) AS rows, toInt64(nan_scores) AS nan_scores, toInt64(inf_scores) AS inf_scores, toInt64(out_of_range) AS out_of_range,
    toInt64(duplicates) AS duplicates, toInt64(future_events) AS future_events, toInt64(reference_rows) AS reference_rows
  FROM rolled
  UNION ALL
  SELECT model, toInt64(r), toInt64(n), toInt64(i), toInt64(o), toInt64(d), toInt64(f), toInt64(rr) FROM raw
)
GROUP BY model
ORDER BY model
SETTINGS join_use_nulls = 0
