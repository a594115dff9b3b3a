-- Changes to the cached performance sums of the matured windows (src/rollup/window-sums.ts), as rollup_psi_delta.sql:
-- per model × segment × window a signed vector, sparse: positions 0–3 labeled, Σ Brier, Σ log loss, Σ log loss²
-- (performance.sql's sums), then each grid cell's approved count at {positives_at} + cell and declined count at
-- {negatives_at} + cell. Read from the label rollup's performance columns.
WITH
  rows AS (
    SELECT model, segment_key, segment,
      arrayConcat([0, 1, 2, 3], arrayMap(c -> {positives_at:UInt32} + c, perf_cells), arrayMap(c -> {negatives_at:UInt32} + c, perf_cells)) AS positions,
      arrayConcat(
        [toFloat64(arraySum(perf_positive) + arraySum(perf_negative)), arraySum(cal_sq_error), log_loss, log_loss_sq],
        arrayMap(x -> toFloat64(x), perf_positive),
        arrayMap(x -> toFloat64(x), perf_negative)) AS values,
      arrayMap(
        w -> toInt64(has({adds:Array(Array(UInt32))}[w], toUnixTimestamp(hour))) - has({subs:Array(Array(UInt32))}[w], toUnixTimestamp(hour)),
        range(1, length({adds:Array(Array(UInt32))}) + 1)) AS signs
    FROM {{table:driftwatch_rollup_labels}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND hour IN (SELECT arrayJoin({hours:Array(DateTime('UTC'))}))
      AND toUnixTimestamp(hour) >= {base:UInt32}
      AND version = {versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1]
  ),
  names AS (SELECT segment_key, CAST(any(segment), 'Array(String)') AS segment FROM rows GROUP BY segment_key)
-- sumMap adds the rows' sparse vectors per segment and window without a row per position.
SELECT c.model AS model, toString(c.segment_key) AS key, n.segment AS segment, c.w - 1 AS window, c.summed.1 AS cells, c.summed.2 AS delta
FROM (
  SELECT model, segment_key, w, sumMap(positions, arrayMap(v -> v * s, values)) AS summed
  FROM rows
  ARRAY JOIN signs AS s, arrayEnumerate(signs) AS w
  WHERE s != 0
  GROUP BY model, segment_key, w
) AS c
INNER JOIN names AS n ON c.segment_key = n.segment_key
