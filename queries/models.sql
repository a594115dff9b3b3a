-- Models with live traffic in either window: what a cycle evaluates when config lists no models.
SELECT DISTINCT model
FROM {{events}}
WHERE variant = 'live'
  AND ((event_time >= {ref_from:DateTime64(3, 'UTC')} AND event_time < {ref_to:DateTime64(3, 'UTC')})
    OR (event_time >= {cur_from:DateTime64(3, 'UTC')} AND event_time < {cur_to:DateTime64(3, 'UTC')}))
ORDER BY model
