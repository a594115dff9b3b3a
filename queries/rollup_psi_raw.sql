-- Score-cell counts of the raw pieces of the PSI windows (partial hours at the edges, hours not folded yet), per
-- model × segment: what a cycle adds to the cached rollup sums. Cells and validity as in psi_score.sql.
SELECT model, toString(segment_key) AS key, any(seg) AS segment, groupArray(cell) AS cells, groupArray(n_ref) AS d_ref, groupArray(n_cur) AS d_cur
FROM (
  SELECT
    model,
    cityHash64(segment) AS segment_key,
    any(segment) AS seg,
    toUInt16(least(255, greatest(0, floor((log(score / (1 - score)) + 8) * 16)))) AS cell,
    countIf({{pieces:ref}}) AS n_ref,
    countIf({{pieces:cur}}) AS n_cur
  FROM {{events}}
  WHERE variant = 'live'
    AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND ({{pieces:ref}} OR {{pieces:cur}})
    AND score >= 0 AND score <= 1
  GROUP BY model, segment_key, cell
)
-- Grouped by the segment's hash (a number), not its array of strings.
GROUP BY model, segment_key
