-- Changes to the cached score-cell sums of the PSI windows (src/rollup/window-sums.ts): per window, folded hours
-- entering it ({ref_add}, {cur_add}) count +1 and hours leaving it ({ref_sub}, {cur_sub}) −1; per model × segment,
-- the signed counts per grid cell. Only rows of the ledger's version of their hour ({versions} from {base}) count.
WITH
  rows AS (
    SELECT model, segment_key, segment, cells, counts,
      toInt64(has({ref_add:Array(UInt32)}, toUnixTimestamp(hour))) - has({ref_sub:Array(UInt32)}, toUnixTimestamp(hour)) AS s_ref,
      toInt64(has({cur_add:Array(UInt32)}, toUnixTimestamp(hour))) - has({cur_sub:Array(UInt32)}, toUnixTimestamp(hour)) AS s_cur
    FROM {{table:driftwatch_rollup_events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND hour IN (SELECT arrayJoin({hours:Array(DateTime('UTC'))}))
      AND toUnixTimestamp(hour) >= {base:UInt32}
      AND version = {versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {base:UInt32}, 3600) + 1]
  ),
  cells AS (
    SELECT model, segment_key, cell, sum(n * s_ref) AS r, sum(n * s_cur) AS c
    FROM rows
    ARRAY JOIN cells AS cell, counts AS n
    GROUP BY model, segment_key, cell
  ),
  names AS (SELECT segment_key, CAST(any(segment), 'Array(String)') AS segment FROM rows GROUP BY segment_key)
SELECT c.model AS model, toString(c.segment_key) AS key, n.segment AS segment, c.cells AS cells, c.d_ref AS d_ref, c.d_cur AS d_cur
FROM (
  SELECT model, segment_key, groupArray(cell) AS cells, groupArray(r) AS d_ref, groupArray(c) AS d_cur
  FROM cells
  WHERE r != 0 OR c != 0
  GROUP BY model, segment_key
) AS c
INNER JOIN names AS n ON c.segment_key = n.segment_key
