-- Models with live traffic in either window (models.sql), from the rollup's folded hours and the raw rest.
SELECT DISTINCT model
FROM (
  SELECT DISTINCT model
  FROM {{table:driftwatch_rollup_events}}
  WHERE variant = 'live'
    AND ((hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')})
      OR (hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')}))
    AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
  UNION ALL
  SELECT DISTINCT model FROM {{events}} WHERE variant = 'live' AND ({{pieces:ref}} OR {{pieces:cur}})
)
ORDER BY model
