-- Learns a feature's PSI bin edges from a reference window: the model-wide quantiles of the feature's
-- live values. Run once per model × feature; the edges are stored and kept so bins do not move with the data they judge.
SELECT
  model,
  feature,
  arrayDistinct(quantilesExactInclusive(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)(value)) AS edges,
  count() AS n
FROM (
  SELECT model, feature, features[feature] AS value
  FROM {{events}}
  ARRAY JOIN {features:Array(String)} AS feature
  WHERE variant = 'live'
    AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')}
    AND mapContains(features, feature)
    AND isFinite(features[feature])
)
GROUP BY model, feature
