-- Models with live traffic in either window (models.sql), from the rollup's folded hours and the raw rest.
SELECT DISTINCT model
FROM (
  SELECT DISTINCT model
  FROM {{table:driftwatch_rollup_events}}
  WHERE variant = 'live'
    AND ((hour >= {ref_hour_from:DateTime64(3, 'UTC')} AND hour < {ref_hour_to:DateTime64(3, 'UTC')})
      OR (hour >= {cur_hour_from:DateTime64(3, 'UTC')} AND hour < {cur_hour_to:DateTime64(3, 'UTC')}))
    AND (toUnixTimestamp(hour), version) IN (SELECT arrayJoin(arrayZip({folded_hours:Array(UInt32)}, {folded_versions:Array(UInt64)})))
  UNION ALL
  SELECT DISTINCT model FROM {{events}} WHERE variant = 'live' AND ({{pieces:ref}} OR {{pieces:cur}})
)
ORDER BY model
