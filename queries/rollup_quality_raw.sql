-- Data quality of the raw pieces (quality.sql's event-side counts: rows, NaN, ±Inf, out of [0, 1], duplicates) per
-- model × slot: a five-minute strip (slot = its start in Unix seconds, kept between cycles by src/rollup/strips.ts)
-- or rest piece i (slot = −(i + 1), see rollup_psi_raw.sql; windows current, reference, future). A duplicate is a row
-- repeating a (model version, variant, segment, transaction id) within one five-minute slot, as in quality.sql.
SELECT
  model,
  slot,
  [toFloat64(count()), toFloat64(countIf(isNaN(score))), toFloat64(countIf(isInfinite(score))),
    toFloat64(countIf(isFinite(score) AND (score < 0 OR score > 1))),
    toFloat64(count() - uniqExact(cityHash64(model_version, variant, segment, intDiv(toUnixTimestamp(event_time), 300), transaction_id)))] AS vec
FROM (
  SELECT model, model_version, variant, segment, transaction_id, score, event_time,
    {{pieces:slot}} AS slot
  FROM {{events}}
  WHERE (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND {{pieces:read}}
)
GROUP BY model, slot
