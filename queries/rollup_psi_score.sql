-- Score PSI inputs served by the rollup: psi_score.sql's answer. Full hours the ledger vouches for (the folded
-- (hour, version) pairs) come from driftwatch_rollup_events' sparse cell arrays; the rest of each window
-- (partial hours at the edges, hours not folded yet: the ref and cur pieces) from the raw events. Cells are
-- summed per model × segment × cell (ARRAY JOIN then GROUP BY on numbers: several times faster than sumMap),
-- then go to bins exactly as in psi_score.sql; segment arrays are looked up once per judged segment.
WITH
  cells AS (
    SELECT model, segment_key, toUInt16(cell) AS cell, sumIf(n, in_ref) AS n_ref, sumIf(n, in_cur) AS n_cur
    FROM (
      SELECT model, segment_key, cells, counts,
        hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')} AS in_ref,
        hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')} AS in_cur
      FROM {{table:driftwatch_rollup_events}}
      WHERE variant = 'live'
        AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND (in_ref OR in_cur)
        AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
    )
    ARRAY JOIN cells AS cell, counts AS n
    GROUP BY model, segment_key, cell
    UNION ALL
    SELECT
      model,
      cityHash64(segment) AS segment_key,
      toUInt16(least(255, greatest(0, floor((log(score / (1 - score)) + 8) * 16)))) AS cell,
      countIf({{pieces:ref}}) AS n_ref,
      countIf({{pieces:cur}}) AS n_cur
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND ({{pieces:ref}} OR {{pieces:cur}})
      AND score >= 0 AND score <= 1
    GROUP BY model, segment_key, cell
  ),
  segments AS (
    SELECT model, segment_key, arraySort(x -> x.1, groupArray((cell, n_ref, n_cur))) AS grid, sum(n_ref) AS total_ref, sum(n_cur) AS total_cur
    FROM (SELECT model, segment_key, cell, sum(n_ref) AS n_ref, sum(n_cur) AS n_cur FROM cells GROUP BY model, segment_key, cell)
    GROUP BY model, segment_key
    HAVING total_ref >= {min_volume:UInt64} AND total_cur >= {min_volume:UInt64}
  ),
  names AS (
    SELECT segment_key, any(segment) AS segment
    FROM (
      SELECT segment_key, CAST(any(segment), 'Array(String)') AS segment
      FROM {{table:driftwatch_rollup_events}}
      WHERE variant = 'live'
        AND ((hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')})
          OR (hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')}))
      GROUP BY segment_key
      UNION ALL
      SELECT cityHash64(segment) AS segment_key, any(segment) FROM {{events}}
      WHERE variant = 'live' AND ({{pieces:ref}} OR {{pieces:cur}})
      GROUP BY segment_key
    )
    GROUP BY segment_key
  )
SELECT
  s.model AS model,
  n.segment AS segment,
  s.total_ref AS n_ref,
  s.total_cur AS n_cur,
  arrayMap(x -> x.2, s.grid) AS refs,
  arrayMap(x -> x.3, s.grid) AS curs,
  arrayMap(
    (x, cum) -> if(empty({fixed_bins:Array(UInt16)}),
                   toUInt16(least({bins:UInt16} - 1, intDiv((cum - x.2) * {bins:UInt16}, s.total_ref))),
                   {fixed_bins:Array(UInt16)}[x.1 + 1]),
    s.grid, arrayCumSum(refs)) AS cell_bins,
  arrayMap(b -> arraySum(arrayFilter((r, cb) -> cb = b, refs, cell_bins)), range({bins:UInt16})) AS ref_bins,
  arrayMap(b -> arraySum(arrayFilter((c, cb) -> cb = b, curs, cell_bins)), range({bins:UInt16})) AS cur_bins
FROM segments AS s
INNER JOIN names AS n ON s.segment_key = n.segment_key
ORDER BY model, segment
