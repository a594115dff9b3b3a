-- Folds the outcome hours in [{from}, {to}) into driftwatch_rollup_orphans under {version}: orphan_outcomes.sql's
-- counts per hour (at the open end: every outcome the table holds), the same query a full recompute runs.
INSERT INTO {{table:driftwatch_rollup_orphans}} (hour, version, outcomes, orphans, orphan_ids, settled)
SELECT hour, {version:UInt64}, outcomes, orphans, orphan_ids, settled
FROM {{query:orphan_outcomes}}
