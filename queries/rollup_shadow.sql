-- Folded hours of driftwatch_rollup_shadow (the ledger's version of each) in shadow_pairs.sql's columns but the
-- hour: current-window sums of the hours in [{cur_hour_from}, {cur_hour_to}), matured-window sums (labels,
-- calibration) of those in [{mat_hour_from}, {mat_hour_to}); the other side of each row is zeroed (sumMap drops
-- the cells left all zero, as the raw pairs never have them). shadow_compare.sql adds these to the raw pieces' pairs.
-- rollup_shadow_present.sql asks whether a row passes this filter before the comparison is asked: keep them in step.
SELECT
  model,
  shadow_version,
  CAST(segment, 'Array(String)') AS segment,
  CAST(live_versions, 'Array(String)') AS live_versions,
  n_matched * in_cur AS n_matched,
  n_scored * in_cur AS n_scored,
  sum_score_delta * in_cur AS sum_score_delta,
  flip_keys,
  arrayMap(x -> x * in_cur, flip_counts) AS flip_counts,
  n_labeled * in_mat AS n_labeled,
  n_positive * in_mat AS n_positive,
  hist_cells,
  arrayMap(x -> x * in_cur, hist_current) AS hist_current,
  arrayMap(x -> x * in_mat, hist_positive) AS hist_positive,
  arrayMap(x -> x * in_mat, hist_negative) AS hist_negative,
  cal_live_bins,
  arrayMap(x -> x * in_mat, cal_live_count) AS cal_live_count,
  arrayMap(x -> x * in_mat, cal_live_score) AS cal_live_score,
  arrayMap(x -> x * in_mat, cal_live_label) AS cal_live_label,
  arrayMap(x -> x * in_mat, cal_live_sq_error) AS cal_live_sq_error,
  cal_shadow_bins,
  arrayMap(x -> x * in_mat, cal_shadow_count) AS cal_shadow_count,
  arrayMap(x -> x * in_mat, cal_shadow_score) AS cal_shadow_score,
  arrayMap(x -> x * in_mat, cal_shadow_label) AS cal_shadow_label,
  arrayMap(x -> x * in_mat, cal_shadow_sq_error) AS cal_shadow_sq_error,
  if(in_cur, latency_live, []) AS latency_live,
  if(in_cur, latency_shadow, []) AS latency_shadow,
  toInt64(0) AS settled
FROM (
  SELECT *,
    toUInt8(hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')}) AS in_cur,
    toUInt8(hour >= {mat_hour_from:DateTime('UTC')} AND hour < {mat_hour_to:DateTime('UTC')}) AS in_mat
  FROM {{table:driftwatch_rollup_shadow}}
  WHERE (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND (in_cur OR in_mat)
    AND toUnixTimestamp(hour) >= {folded_base:UInt32}
    AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
)
