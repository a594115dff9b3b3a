-- How a live version served in [{from}, {to}) (an experiment's arms, src/monitors/experiments/): its live events
-- there and the first one's time in Unix milliseconds (0 without one).
SELECT
  count() AS events,
  toInt64(if(count() = 0, 0, toUnixTimestamp64Milli(toDateTime64(min(event_time), 3, 'UTC')))) AS first
FROM {{events}}
WHERE variant = 'live'
  AND model = {model:String}
  AND model_version = {version:String}
  AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
