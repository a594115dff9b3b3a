-- When a live version first served in [{from}, {to}) (an experiment's start, src/monitors/experiments/): the
-- time of its first live event, in Unix milliseconds; 0 without one.
SELECT toInt64(if(count() = 0, 0, toUnixTimestamp64Milli(toDateTime64(min(event_time), 3, 'UTC')))) AS first
FROM {{events}}
WHERE variant = 'live'
  AND model = {model:String}
  AND model_version = {version:String}
  AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
