-- Changes to the cached score-cell sums of the PSI windows (src/rollup/window-sums.ts): per window w (reference
-- first, then each current window), folded hours entering it ({adds}[w]) count +1 and hours leaving it ({subs}[w])
-- −1; per model × segment × window, the signed counts per grid cell. An hour is added at its ledger version and
-- taken away at the version the sums hold: an hour folded again is in both lists, its old rows out and its new
-- ones in (the delta_signs and delta_rows placeholders, src/aggregates/sums-delta.ts).
WITH
  rows AS (
    SELECT model, segment_key, segment, cells, counts,
      {{delta_signs}}
    FROM {{table:driftwatch_rollup_events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
      AND {{delta_rows}}
  ),
  cells AS (
    SELECT model, segment_key, w, cell, sum(n * s) AS d
    FROM rows
    ARRAY JOIN signs AS s, arrayEnumerate(signs) AS w
    ARRAY JOIN cells AS cell, counts AS n
    WHERE s != 0
    GROUP BY model, segment_key, w, cell
  ),
  names AS (SELECT segment_key, CAST(any(segment), 'Array(String)') AS segment FROM rows GROUP BY segment_key)
SELECT c.model AS model, toString(c.segment_key) AS key, n.segment AS segment, c.w - 1 AS window, c.cells AS cells, c.delta AS delta
FROM (
  SELECT model, segment_key, w, groupArray(cell) AS cells, groupArray(d) AS delta
  FROM cells
  WHERE d != 0
  GROUP BY model, segment_key, w
) AS c
INNER JOIN names AS n ON c.segment_key = n.segment_key
