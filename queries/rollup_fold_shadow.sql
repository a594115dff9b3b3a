-- Folds the matured hours in [{from}, {to}) into driftwatch_rollup_shadow under {version}: shadow_pairs.sql's sums
-- per model × shadow version × segment × hour over the pairs pieces (that query with both windows = the hours,
-- shadow rows an hour either side, outcomes up to the maturity delay after {to}), the rows a full recompute adds up.
INSERT INTO {{table:driftwatch_rollup_shadow}}
  (model, shadow_version, segment, segment_key, hour, version, live_versions, n_matched, n_scored, sum_score_delta,
   flip_keys, flip_counts, n_labeled, n_positive, hist_cells, hist_current, hist_positive, hist_negative,
   cal_live_bins, cal_live_count, cal_live_score, cal_live_label, cal_live_sq_error,
   cal_shadow_bins, cal_shadow_count, cal_shadow_score, cal_shadow_label, cal_shadow_sq_error, latency_live, latency_shadow, last_outcome)
SELECT
  model, shadow_version, segment, cityHash64(segment), hour, {version:UInt64}, live_versions, n_matched, n_scored, sum_score_delta,
  flip_keys, flip_counts, n_labeled, n_positive, hist_cells, hist_current, hist_positive, hist_negative,
  cal_live_bins, cal_live_count, cal_live_score, cal_live_label, cal_live_sq_error,
  cal_shadow_bins, cal_shadow_count, cal_shadow_score, cal_shadow_label, cal_shadow_sq_error, latency_live, latency_shadow,
  fromUnixTimestamp64Milli(settled, 'UTC')
FROM {{pieces:pairs}}
-- The outcome lookup's set of a fold's ids (millions) does not analyse the outcome table's index: src/store/client.ts, LARGE_IN_SET.
SETTINGS use_index_for_in_with_subqueries_max_values = 100000
