-- Source rows per hour within the given hours (folded hours touched by new insert blocks): change detection
-- compares them with the counts the ledger recorded at fold time, so only the touched days are read.
SELECT toUnixTimestamp(toStartOfHour(event_time)) AS h, count() AS n
FROM {{events}}
WHERE {{pieces:hours}}
GROUP BY h
