-- PSI over the reported week (from, to] for its worst segments, from the history table: the {limit:UInt32}
-- model × feature × segment series with the highest PSI of the week, each as its hourly maximum (a daemon
-- writes a value every cycle; the hour's worst is what a reader needs), with the threshold it was judged by.
WITH worst AS (
  SELECT model, feature, toString(segment) AS segment_key, max(value) AS peak
  FROM {{history_table}}
  WHERE monitor = 'psi' AND metric = 'psi' AND isFinite(value)
    AND at > {from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
  GROUP BY model, feature, segment_key
  ORDER BY peak DESC, model, feature, segment_key
  LIMIT {limit:UInt32}
)
SELECT
  h.model AS model,
  h.feature AS feature,
  any(h.segment) AS segment,
  toStartOfHour(h.at) AS hour,
  max(h.value) AS value,
  max(w.peak) AS peak
FROM {{history_table}} AS h
INNER JOIN worst AS w ON h.model = w.model AND h.feature = w.feature AND toString(h.segment) = w.segment_key
WHERE h.monitor = 'psi' AND h.metric = 'psi' AND isFinite(h.value)
  AND h.at > {from:DateTime64(3, 'UTC')} AND h.at <= {to:DateTime64(3, 'UTC')}
GROUP BY h.model, h.feature, w.segment_key, hour
ORDER BY peak DESC, model, feature, w.segment_key, hour
