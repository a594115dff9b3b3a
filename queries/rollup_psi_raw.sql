-- Score-cell counts of the raw pieces of the PSI windows, per model × segment × slot: a five-minute strip (slot =
-- its start in Unix seconds) or rest piece i (slot = −(i + 1)): the windows' raw pieces that are no whole strip, cut
-- where windows overlap so that each row is in one slot (src/rollup/strips.ts adds a rest piece's rows to every
-- window that holds it). The slot and read pieces come from src/rollup/raw-reads.ts. strips.ts keeps the
-- strips between cycles, so a steady cycle reads the strip that just ended. Cells and validity as in psi_score.sql.
SELECT model, toString(segment_key) AS key, any(seg) AS segment, slot, groupArray(cell) AS cells, groupArray(n) AS counts
FROM (
  SELECT
    model,
    cityHash64(segment) AS segment_key,
    any(segment) AS seg,
    {{pieces:slot}} AS slot,
    toUInt16({{grid_cell:score}}) AS cell,
    count() AS n
  FROM {{events}}
  WHERE variant = 'live'
    AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND {{held_out}}
    AND {{pieces:read}}
    AND score >= 0 AND score <= 1
  GROUP BY model, segment_key, slot, cell
)
-- Grouped by the segment's hash (a number), not its array of strings.
GROUP BY model, segment_key, slot
