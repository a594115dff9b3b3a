-- models.sql served by the rollup: live events per model × version in the reference, current and recent windows
-- from the folded hours of driftwatch_rollup_events, plus the raw pieces, and the hours holding one.
SELECT
  model,
  mv AS version,
  sum(ref) AS reference_events,
  sum(cur) AS current_events,
  sum(recent) AS recent_events,
  arraySort(groupUniqArrayArray(hours)) AS hours
FROM (
  SELECT
    model,
    toString(model_version) AS mv,
    sumIf(events, hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')}) AS ref,
    sumIf(events, hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')}) AS cur,
    sumIf(events, hour >= {recent_hour_from:DateTime('UTC')} AND hour < {recent_hour_to:DateTime('UTC')}) AS recent,
    groupUniqArray(toUInt32(toUnixTimestamp(hour))) AS hours
  FROM {{table:driftwatch_rollup_events}}
  WHERE variant = 'live'
    AND ((hour >= {ref_hour_from:DateTime('UTC')} AND hour < {ref_hour_to:DateTime('UTC')})
      OR (hour >= {cur_hour_from:DateTime('UTC')} AND hour < {cur_hour_to:DateTime('UTC')})
      OR (hour >= {recent_hour_from:DateTime('UTC')} AND hour < {recent_hour_to:DateTime('UTC')}))
    AND toUnixTimestamp(hour) >= {folded_base:UInt32}
        AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
  GROUP BY model, model_version
  UNION ALL
  SELECT
    model,
    toString(model_version) AS mv,
    countIf({{pieces:ref}}) AS ref,
    countIf({{pieces:cur}}) AS cur,
    countIf({{pieces:recent}}) AS recent,
    groupUniqArray(toUInt32(toUnixTimestamp(toStartOfHour(event_time)))) AS hours
  FROM {{events}}
  WHERE variant = 'live' AND ({{pieces:ref}} OR {{pieces:cur}} OR {{pieces:recent}})
  GROUP BY model, model_version
)
GROUP BY model, mv
ORDER BY model, version
