-- Folds the event hours in [{from}, {to}) into driftwatch_rollup_features under {version}: psi_feature.sql's live
-- counts per stored bin, per model × feature × segment × hour. {edge_models}, {edge_features}, {edges} and
-- {categories} are parallel arrays of the stored bins; the feature_bin placeholder as there; missing and non-finite excluded.
INSERT INTO {{table:driftwatch_rollup_features}} (model, feature, segment, segment_key, hour, version, bins)
SELECT
  model,
  feature,
  segment,
  cityHash64(segment),
  hour,
  {version:UInt64},
  arrayMap(b -> arraySum(arrayMap((x, c) -> if(x = b, c, 0), groupArray(bin), groupArray(n))), range(any(n_bins)))
FROM (
  SELECT model, feature, segment, hour, bin, n_bins, count() AS n
  FROM (
    SELECT
      model,
      segment,
      toStartOfHour(event_time) AS hour,
      {edge_features:Array(String)}[k] AS feature,
      {edges:Array(Array(Float64))}[k] AS edges,
      {categories:Array(Array(String))}[k] AS feature_categories,
      {{feature_bin}} AS bin,
      {{feature_bin_count}} AS n_bins
    FROM {{events}}
    ARRAY JOIN arrayFilter(i -> {edge_models:Array(String)}[i] = model, arrayEnumerate({edge_models:Array(String)})) AS k
    WHERE variant = 'live'
      AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
      AND {{feature_present}}
  )
  GROUP BY model, feature, segment, hour, bin, n_bins
)
GROUP BY model, feature, segment, hour
