-- Shadow vs live inputs per model × shadow version: one row for the whole model (segment = [], overall = 1) and
-- one per segment with at least {min_volume} matched transactions, added up from the partials pieces, rows of
-- shadow_pairs.sql's columns (per segment × hour: the raw pairs of whole windows, or folded hours of
-- driftwatch_rollup_shadow plus the raw pieces). Current window: matched, decisions, scores, latency; matured
-- window: labeled pairs, for AUC and calibration.
--   hist_*      sparse (only occupied cells); segment rows carry it only with {seg_min_labeled} labeled pairs,
--               {seg_min_minority} of each class
--   latency_*   exact quantiles at 0.5, 0.98, 0.99, 0.995 (interpolated, as numpy's default) and the count; 0.98
--               and 0.995 give p99's standard error. Exact, not t-digest: the budget rule compares p99s that
--               differ by a few per cent, more than t-digest's tail error would blur.
WITH
  grouped AS (
    SELECT
      model,
      shadow_version,
      segment,
      grouping(segment) AS overall,
      groupUniqArrayArray(live_versions) AS live_versions,
      sum(n_matched) AS n_matched,
      sum(n_scored) AS n_scored,
      sum(sum_score_delta) AS sum_score_delta,
      sumMap(flip_keys, flip_counts) AS flips,
      sum(n_labeled) AS n_labeled,
      sum(n_positive) AS n_positive,
      sumMap(hist_cells, hist_current, hist_positive, hist_negative) AS hist,
      sumMap(cal_live_bins, cal_live_count, cal_live_score, cal_live_label, cal_live_sq_error) AS cal_live,
      sumMap(cal_shadow_bins, cal_shadow_count, cal_shadow_score, cal_shadow_label, cal_shadow_sq_error) AS cal_shadow,
      quantilesExactInclusiveArray(0.5, 0.98, 0.99, 0.995)(latency_live) AS q_live,
      quantilesExactInclusiveArray(0.5, 0.98, 0.99, 0.995)(latency_shadow) AS q_shadow,
      sum(length(latency_live)) AS n_live,
      sum(length(latency_shadow)) AS n_shadow
    FROM {{pieces:partials}}
    GROUP BY GROUPING SETS ((model, shadow_version), (model, shadow_version, segment))
  )
SELECT
  model,
  shadow_version,
  if(overall = 1, [], segment) AS segment,
  overall,
  live_versions,
  n_matched,
  n_scored,
  sum_score_delta,
  flips.1 AS flip_keys,
  flips.2 AS flip_counts,
  n_labeled,
  n_positive,
  overall = 1 OR (n_labeled >= {seg_min_labeled:UInt64}
    AND least(n_positive, n_labeled - n_positive) >= {seg_min_minority:UInt64}) AS with_histogram,
  if(with_histogram, hist.1, []) AS hist_cells,
  if(with_histogram, hist.2, []) AS hist_current,
  if(with_histogram, hist.3, []) AS hist_positive,
  if(with_histogram, hist.4, []) AS hist_negative,
  cal_live.1 AS cal_live_bins,
  cal_live.2 AS cal_live_count,
  cal_live.3 AS cal_live_score,
  cal_live.4 AS cal_live_label,
  cal_live.5 AS cal_live_sq_error,
  cal_shadow.1 AS cal_shadow_bins,
  cal_shadow.2 AS cal_shadow_count,
  cal_shadow.3 AS cal_shadow_score,
  cal_shadow.4 AS cal_shadow_label,
  cal_shadow.5 AS cal_shadow_sq_error,
  q_live AS latency_live,
  q_shadow AS latency_shadow,
  n_live AS latency_live_n,
  n_shadow AS latency_shadow_n
FROM grouped
WHERE overall = 1 OR n_matched >= {min_volume:UInt64}
ORDER BY model, shadow_version, overall DESC, segment
