-- Changes to the cached label sums of the matured windows (src/rollup/window-sums.ts), as rollup_psi_delta.sql: per
-- model × segment × window a signed vector: events, labeled, approved, then per calibration bin count, Σ score,
-- Σ label, Σ (score − label)².
WITH
  rows AS (
    SELECT model, segment_key, segment,
      arrayConcat([toFloat64(events), toFloat64(labeled), toFloat64(approved)], arrayMap(x -> toFloat64(x), cal_count), cal_score, cal_label, cal_sq_error) AS vec,
      {addVersions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1] AS add_version,
      {subVersions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1] AS sub_version,
      arrayMap(
        w -> toInt64(version = add_version AND has({adds:Array(Array(UInt32))}[w], toUnixTimestamp(hour)))
          - (version = sub_version AND has({subs:Array(Array(UInt32))}[w], toUnixTimestamp(hour))),
        range(1, length({adds:Array(Array(UInt32))}) + 1)) AS signs
    FROM {{table:driftwatch_rollup_labels}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND hour IN (SELECT arrayJoin({hours:Array(DateTime('UTC'))}))
      AND toUnixTimestamp(hour) >= {base:UInt32}
      AND (version = add_version OR version = sub_version)
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
