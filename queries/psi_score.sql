-- Score PSI inputs: per model × segment, live event counts per PSI bin in the reference and current windows.
--
-- Bins are the reference's quantiles (deciles by default) resolved on the fixed logit grid of scores (the grid_cell
-- placeholder, src/aggregates/grid.ts: 256 cells uniform in logit(score) over [-8, 8]). A cell goes to bin
-- floor(B · refCountBefore / refTotal): the bin boundaries are the grid boundaries where the reference CDF crosses
-- k/B, so a rollup of per-cell counts yields the same bins.
-- With {fixed_bins} non-empty, cell c goes to bin fixed_bins[c + 1] instead (configured edges, snapped to the grid).
-- Scores that are NaN, infinite or outside [0, 1] are excluded here and counted by the quality monitor.
WITH
  cells AS (
    SELECT
      model,
      segment,
      -- total over every Float64 (a bad score takes 0.5's cell; the WHERE below drops it anyway)
      toUInt16({{grid_cell:score}}) AS cell,
      countIf(event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')}) AS n_ref,
      countIf(event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')}) AS n_cur
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
      AND ((event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')})
        OR (event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')}))
      AND score >= 0 AND score <= 1
    GROUP BY model, segment, cell
  ),
  segments AS (
    SELECT
      model,
      segment,
      arraySort(x -> x.1, groupArray((cell, n_ref, n_cur))) AS grid,
      sum(n_ref) AS total_ref,
      sum(n_cur) AS total_cur
    FROM cells
    GROUP BY model, segment
    HAVING total_ref >= {min_reference:UInt64} AND total_cur >= {min_current:UInt64}
  )
SELECT
  model,
  segment,
  total_ref AS n_ref,
  total_cur AS n_cur,
  arrayMap(x -> x.2, grid) AS refs,
  arrayMap(x -> x.3, grid) AS curs,
  arrayMap(
    (x, cum) -> if(empty({fixed_bins:Array(UInt16)}),
                   toUInt16(least({bins:UInt16} - 1, intDiv((cum - x.2) * {bins:UInt16}, total_ref))),
                   {fixed_bins:Array(UInt16)}[x.1 + 1]),
    grid, arrayCumSum(arrayMap(x -> x.2, grid))) AS cell_bins,
  arrayMap(b -> arraySum(arrayFilter((r, cb) -> cb = b, refs, cell_bins)), range({bins:UInt16})) AS ref_bins,
  arrayMap(b -> arraySum(arrayFilter((c, cb) -> cb = b, curs, cell_bins)), range({bins:UInt16})) AS cur_bins
FROM segments
ORDER BY model, segment
