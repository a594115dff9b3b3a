-- Score-cell counts of the raw pieces of the PSI windows (partial hours at the edges, hours not folded yet), per
-- model × segment: what a cycle adds to the cached rollup sums. Cells and validity as in psi_score.sql.
SELECT model, toString(cityHash64(segment)) AS key, segment, groupArray(cell) AS cells, groupArray(n_ref) AS d_ref, groupArray(n_cur) AS d_cur
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
