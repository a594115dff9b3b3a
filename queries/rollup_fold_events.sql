-- Folds the event hours in [{from}, {to}) into driftwatch_rollup_events under {version}: per model × version ×
-- variant × segment × hour, every row counted (all variants, so the ledger's per-hour counts match the table's),
-- bad scores by kind (quality.sql's rules), duplicate transaction ids (quality.sql's: within a five-minute slot), and the valid scores'
-- counts per cell of psi_score.sql's 256-cell logit grid as a sparse map (cells present, their counts).
INSERT INTO {{table:driftwatch_rollup_events}}
  (model, model_version, variant, segment, segment_key, hour, version, events, nan_scores, inf_scores, out_of_range, duplicates, cells, counts)
SELECT
  model,
  model_version,
  variant,
  segment,
  cityHash64(segment),
  hour,
  {version:UInt64},
  count(),
  countIf(isNaN(score)),
  countIf(isInfinite(score)),
  countIf(isFinite(score) AND (score < 0 OR score > 1)),
  -- quality.sql's duplicates: ids repeated within a five-minute slot (slot and id hashed to 64 bits: a collision
  -- among one hour's ids of one key is about as likely as 1 in 10^12)
  count() - uniqExact(cityHash64(slot, transaction_id)),
  (sumMapIf([cell], [toUInt64(1)], valid) AS cell_map).1,
  cell_map.2
FROM (
  SELECT
    model,
    model_version,
    variant,
    segment,
    toStartOfHour(event_time) AS hour,
    transaction_id,
    intDiv(toUnixTimestamp(event_time), 300) AS slot,
    score,
    score >= 0 AND score <= 1 AS valid,
    -- the cell of psi_score.sql; sumMapIf of a one-cell map per row is cheaper than a second GROUP BY over cells.
    -- A NaN, ±Inf or out-of-range score takes 0.5's cell (grid.ts), never used: valid is 0.
    toUInt8({{grid_cell:score}}) AS cell
  FROM {{events}}
  WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
)
GROUP BY model, model_version, variant, segment, hour
