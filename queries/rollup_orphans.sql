-- Orphan outcomes of the folded outcome hours in [{hour_from}, {hour_to}) (driftwatch_rollup_orphans, the ledger's
-- version of each hour); hours not folded are counted from the raw tables by orphan_outcomes.sql.
SELECT sum(orphans) AS orphans
FROM {{table:driftwatch_rollup_orphans}}
WHERE hour >= {hour_from:DateTime('UTC')} AND hour < {hour_to:DateTime('UTC')}
  AND toUnixTimestamp(hour) >= {folded_base:UInt32}
  AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
