-- Folds the outcome hours in [{from}, {to}) into driftwatch_rollup_orphans under {version}: orphan_outcomes.sql's
-- counts per hour, the same query a full recompute runs.
INSERT INTO {{table:driftwatch_rollup_orphans}} (hour, version, outcomes, orphans)
SELECT hour, {version:UInt64}, outcomes, orphans
FROM {{query:orphan_outcomes}}
