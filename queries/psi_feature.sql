-- Feature PSI inputs: per model × feature × segment, live event counts per stored bin in both windows.
-- {edge_models}, {edge_features}, {edges} and {categories} are parallel arrays: the stored bins of each
-- model × feature (learned inner edges, or categories for a categorical feature); the feature_bin placeholder puts a value in
-- its bin (src/aggregates/feature-bins.ts). Missing and non-finite values are excluded.
SELECT
  model,
  feature,
  segment,
  sum(n_ref_bin) AS n_ref,
  sum(n_cur_bin) AS n_cur,
  arrayMap(b -> arraySum(arrayMap((x, r) -> if(x = b, r, 0), groupArray(bin), groupArray(n_ref_bin))), range(any(n_bins))) AS ref_bins,
  arrayMap(b -> arraySum(arrayMap((x, c) -> if(x = b, c, 0), groupArray(bin), groupArray(n_cur_bin))), range(any(n_bins))) AS cur_bins
FROM (
SELECT model, feature, segment, bin, {{feature_bin_count}} AS n_bins, countIf(in_ref) AS n_ref_bin, countIf(in_cur) AS n_cur_bin
FROM (
  SELECT
    model,
    segment,
    {edge_features:Array(String)}[k] AS feature,
    {edges:Array(Array(Float64))}[k] AS edges,
    {categories:Array(Array(String))}[k] AS feature_categories,
    {{feature_bin}} AS bin,
    event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')} AS in_ref,
    event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')} AS in_cur
  FROM {{events}}
  ARRAY JOIN arrayFilter(i -> {edge_models:Array(String)}[i] = model, arrayEnumerate({edge_models:Array(String)})) AS k
  WHERE variant = 'live'
    AND (in_ref OR in_cur)
    AND {{feature_present}}
)
GROUP BY model, feature, segment, bin, n_bins
)
GROUP BY model, feature, segment
HAVING n_ref >= {min_reference:UInt64} AND n_cur >= {min_current:UInt64}
ORDER BY model, feature, segment
