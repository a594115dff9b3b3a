-- Score-grid cells per five-minute strip, for the score drift's sequential test (src/monitors/psi/sequential.ts): per
-- model × segment, live events of [{from}, {to}) with a score in [0, 1], counted by strip back from {to} (`back` 0 is
-- [{to} − 5 min, {to})) and grid cell (cells as in psi_score.sql), sparse: only cells and strips holding events.
WITH
  per_cell AS (
    SELECT
      model,
      segment,
      intDiv(toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}) - toUnixTimestamp64Milli(toDateTime64(event_time, 3, 'UTC')) - 1, 300000) AS back,
      toUInt16({{grid_cell:score}}) AS cell,
      count() AS n
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
      AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
      AND score >= 0 AND score <= 1
    GROUP BY model, segment, back, cell
  ),
  per_strip AS (
    SELECT model, segment, back, groupArray(cell) AS cells, groupArray(n) AS counts
    FROM per_cell
    GROUP BY model, segment, back
  )
SELECT model, segment, groupArray(back) AS backs, groupArray(cells) AS cells, groupArray(counts) AS counts
FROM per_strip
GROUP BY model, segment
ORDER BY model, segment
