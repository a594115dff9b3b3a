-- Score PSI inputs served by the rollup: psi_score.sql's answer. Full hours the ledger vouches for ({folded}:
-- (hour, version) pairs) come from driftwatch_rollup_events' sparse cell maps; the rest of each window (partial
-- hours at the edges, hours not folded yet: {{pieces:ref}}, {{pieces:cur}}) from the raw events. Per segment
-- the maps are summed (sumMap keeps cells sorted), then cells go to bins exactly as in psi_score.sql.
WITH
  maps AS (
    SELECT
      model,
      CAST(segment, 'Array(String)') AS segment,
      sumMap(arrayMap(c -> toUInt16(c), cells), arrayMap(n -> if(in_ref, n, 0), counts), arrayMap(n -> if(in_cur, n, 0), counts)) AS grid
    FROM (
      SELECT model, segment, cells, counts,
        hour >= {ref_hour_from:DateTime64(3, 'UTC')} AND hour < {ref_hour_to:DateTime64(3, 'UTC')} AS in_ref,
        hour >= {cur_hour_from:DateTime64(3, 'UTC')} AND hour < {cur_hour_to:DateTime64(3, 'UTC')} AS in_cur
      FROM {{table:driftwatch_rollup_events}}
      WHERE variant = 'live'
        AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND (in_ref OR in_cur)
        AND (toUnixTimestamp(hour), version) IN (SELECT arrayJoin(arrayZip({folded_hours:Array(UInt32)}, {folded_versions:Array(UInt64)})))
    )
    GROUP BY model, segment
    UNION ALL
    SELECT model, segment, (groupArray(cell), groupArray(n_ref), groupArray(n_cur)) AS grid
    FROM (
      SELECT
        model,
        segment,
        toUInt16(least(255, greatest(0, floor((log(score / (1 - score)) + 8) * 16)))) AS cell,
        countIf({{pieces:ref}}) AS n_ref,
        countIf({{pieces:cur}}) AS n_cur
      FROM {{events}}
      WHERE variant = 'live'
        AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
        AND ({{pieces:ref}} OR {{pieces:cur}})
        AND score >= 0 AND score <= 1
      GROUP BY model, segment, cell
    )
    GROUP BY model, segment
  ),
  segments AS (
    SELECT model, segment, g.1 AS cells, g.2 AS refs, g.3 AS curs, arraySum(refs) AS total_ref, arraySum(curs) AS total_cur
    FROM (SELECT model, segment, sumMap(grid.1, grid.2, grid.3) AS g FROM maps GROUP BY model, segment)
    WHERE total_ref >= {min_volume:UInt64} AND total_cur >= {min_volume:UInt64}
  )
SELECT
  model,
  segment,
  total_ref AS n_ref,
  total_cur AS n_cur,
  arrayMap(
    (c, r, cum) -> if(empty({fixed_bins:Array(UInt16)}),
                      toUInt16(least({bins:UInt16} - 1, intDiv((cum - r) * {bins:UInt16}, total_ref))),
                      {fixed_bins:Array(UInt16)}[c + 1]),
    cells, refs, arrayCumSum(refs)) AS cell_bins,
  arrayMap(b -> arraySum(arrayFilter((r, cb) -> cb = b, refs, cell_bins)), range({bins:UInt16})) AS ref_bins,
  arrayMap(b -> arraySum(arrayFilter((x, cb) -> cb = b, curs, cell_bins)), range({bins:UInt16})) AS cur_bins
FROM segments
ORDER BY model, segment
