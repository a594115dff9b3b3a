-- Learns a categorical feature's PSI bins from a reference window: the model-wide most frequent values of the
-- column among live events, at most {max_categories}, most frequent first (ties by value, so a re-learn agrees).
-- Run once per model × feature; stored beside the numeric edges. `distinct_values` says how many values there were.
SELECT
  model,
  feature,
  arraySlice(arrayMap(t -> t.1, arraySort(t -> (-t.2, t.1), groupArray((value, n)))), 1, {max_categories:UInt32}) AS categories,
  count() AS distinct_values
FROM (
  SELECT model, feature, categories[feature] AS value, count() AS n
  FROM {{events}}
  ARRAY JOIN {features:Array(String)} AS feature
  WHERE variant = 'live'
    AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
    AND event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')}
    AND mapContains(categories, feature)
  GROUP BY model, feature, value
)
GROUP BY model, feature
