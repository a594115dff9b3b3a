-- Score-cell counts of the raw pieces of the PSI windows, per model × segment × slot: a five-minute strip (slot =
-- its start in Unix seconds) or the rest of window w's raw pieces (slot = −(w + 1)). src/rollup/strips.ts keeps the
-- strips between cycles, so a steady cycle reads the strip that just ended. Cells and validity as in psi_score.sql.
SELECT model, toString(segment_key) AS key, any(seg) AS segment, slot, groupArray(cell) AS cells, groupArray(n) AS counts
FROM (
  SELECT
    model,
    cityHash64(segment) AS segment_key,
    any(segment) AS seg,
    multiIf({{pieces:strips}}, toInt64(intDiv(toUnixTimestamp(event_time), 300) * 300), {{pieces:rest0}}, -1, -2) AS slot,
    toUInt16({{grid_cell:score}}) AS cell,
    count() AS n
  FROM {{events}}
  WHERE variant = 'live'
    AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND ({{pieces:strips}} OR {{pieces:rest0}} OR {{pieces:rest1}})
    AND score >= 0 AND score <= 1
  GROUP BY model, segment_key, slot, cell
)
-- Grouped by the segment's hash (a number), not its array of strings.
GROUP BY model, segment_key, slot
