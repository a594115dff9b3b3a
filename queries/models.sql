-- Live versions of each model in the cycle's windows: which models a cycle evaluates (those with live traffic in
-- either window, when config lists none) and which versions serve live traffic side by side (an experiment,
-- src/monitors/experiments/). Per model × version: live events in the reference, the current window and the
-- recent window (the hour before the current window's last hour boundary, to its end), and the hours holding one
-- of them (Unix seconds, ascending): an experiment runs over the last hours both arms served.
SELECT
  model,
  model_version AS version,
  countIf(event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')}) AS reference_events,
  countIf(event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')}) AS current_events,
  countIf(event_time >= {recent_from:DateTime64(3, 'UTC')} AND event_time < {recent_to:DateTime64(3, 'UTC')}) AS recent_events,
  arraySort(groupUniqArray(toUInt32(toUnixTimestamp(toStartOfHour(event_time))))) AS hours
FROM {{events}}
WHERE variant = 'live'
  AND ((event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')})
    OR (event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')})
    OR (event_time >= {recent_from:DateTime64(3, 'UTC')} AND event_time < {recent_to:DateTime64(3, 'UTC')}))
GROUP BY model, model_version
ORDER BY model, version
