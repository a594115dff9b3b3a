-- Labels per five-minute strip, for the approval rate's sequential test (src/monitors/approval/sequential.ts): per
-- model × segment, live events of [{from}, {to}) counted by strip back from {to} (`back` 0 is [{to} − 5 min, {to})),
-- the events with an outcome known at {at}, and the approved among them. The label rule is labels.sql's. Only strips
-- with a labeled event are returned.
WITH
  recent AS (
    SELECT
      transaction_id,
      model,
      segment,
      event_time,
      intDiv(toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}) - toUnixTimestamp64Milli(toDateTime64(event_time, 3, 'UTC')) - 1, 300000) AS back
    FROM {{events}}
    WHERE variant = 'live'
      AND (empty({models:Array(String)}) OR has({models:Array(String)}, model))
      AND {{held_out}}
      AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
  ),
  known AS (
    SELECT transaction_id, argMax(approved, (outcome_time, approved)) AS approved, max(outcome_time) AS last_outcome
    FROM {{outcomes}}
    WHERE outcome_time >= {from:DateTime64(3, 'UTC')} - toIntervalMillisecond({skew_ms:UInt64})
      AND outcome_time < {at:DateTime64(3, 'UTC')}
      AND transaction_id IN (SELECT transaction_id FROM recent)
    GROUP BY transaction_id
  ),
  per_strip AS (
    SELECT
      r.model AS model,
      r.segment AS segment,
      r.back AS back,
      countIf(k.transaction_id != '' AND k.last_outcome >= r.event_time - toIntervalMillisecond({skew_ms:UInt64})) AS labeled,
      countIf(k.transaction_id != '' AND k.last_outcome >= r.event_time - toIntervalMillisecond({skew_ms:UInt64}) AND k.approved = 1) AS approved
    FROM recent AS r
    LEFT JOIN known AS k ON r.transaction_id = k.transaction_id
    GROUP BY model, segment, back
    HAVING labeled > 0
  )
SELECT model, segment, groupArray(back) AS backs, groupArray(labeled) AS labeled, groupArray(approved) AS approved
FROM per_strip
GROUP BY model, segment
ORDER BY model, segment
