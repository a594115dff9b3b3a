-- Folds the outcome hours in [{from}, {to}) into driftwatch_rollup_orphans under {version}: orphan_outcomes.sql's
-- counts per hour (at the open end: every outcome the table holds), the same query a full recompute runs.
INSERT INTO {{table:driftwatch_rollup_orphans}} (hour, version, outcomes, orphans, orphan_ids, settled)
SELECT hour, {version:UInt64}, outcomes, orphans, orphan_ids, settled
FROM {{query:orphan_outcomes}}
-- The outcome lookup's set of a fold's ids (millions) does not analyse the outcome table's index: src/store/client.ts, LARGE_IN_SET.
SETTINGS use_index_for_in_with_subqueries_max_values = 100000
