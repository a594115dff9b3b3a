-- deploy/grants.sql: a ClickHouse user for driftwatch with only what it needs. docs/operations.md,
-- "Production ClickHouse: grants and a replicated driftwatch database", explains each grant.
--
-- Placeholders (envsubst-style; the command below fills in these four only, so the ${…} of the commented-out
-- optional blocks stay for you to fill in by hand):
--   ${DRIFTWATCH_PASSWORD}  the password of the user `driftwatch` (take it from the environment, not a file;
--                           it must not contain a single quote)
--   ${DRIFTWATCH_DATABASE}  store.driftwatchDatabase in driftwatch's config (default: driftwatch)
--   ${EVENTS_TABLE}         tables.events as database.table, e.g. payments.scoring_events (an unqualified
--                           tables.events is in store.database: write store.database.table)
--   ${OUTCOMES_TABLE}       tables.outcomes as database.table, e.g. payments.outcomes
--
-- Run it as a user allowed to create users and grant these rights (access_management, or GRANT OPTION):
--
--   export DRIFTWATCH_PASSWORD=… DRIFTWATCH_DATABASE=driftwatch \
--          EVENTS_TABLE=payments.scoring_events OUTCOMES_TABLE=payments.outcomes
--   envsubst '$DRIFTWATCH_PASSWORD $DRIFTWATCH_DATABASE $EVENTS_TABLE $OUTCOMES_TABLE' < deploy/grants.sql \
--     | clickhouse-client --multiquery
--
-- On a cluster, users and grants are per server unless access entities are kept in Keeper (a `replicated`
-- user directory): write CREATE USER IF NOT EXISTS driftwatch ON CLUSTER '{cluster}' … and GRANT ON CLUSTER
-- '{cluster}' …, or run the script on every server.
--
-- Then give driftwatch store.user: driftwatch and the password (CLICKHOUSE_PASSWORD). The user keeps the
-- default settings profile: driftwatch sets per-query settings (max_execution_time, timeout_overflow_mode),
-- which a readonly profile refuses.
--
-- Tables driftwatch creates in its database (test/deploy/grants.test.ts keeps this list equal to the code's):
--   driftwatch_metrics          history of every cycle (tables.history; Grafana reads it)
--   driftwatch_alerts           alert state
--   driftwatch_outbox           Slack messages to send
--   driftwatch_reports          weekly reports sent
--   driftwatch_shadow_verdicts  shadow verdicts announced
--   driftwatch_experiment_verdicts  experiment verdicts announced
--   driftwatch_leader           which daemon leads (a lease, when several run)
--   driftwatch_maturity         the learned outcome delay
--   driftwatch_feature_edges    PSI bin edges of the features
--   driftwatch_rollup_events    hourly rollup (Grafana reads events, labels and ledger)
--   driftwatch_rollup_labels
--   driftwatch_rollup_features
--   driftwatch_rollup_orphans
--   driftwatch_rollup_shadow
--   driftwatch_rollup_ledger
--   driftwatch_ingest_ledger    `driftwatch ingest` only
--   driftwatch_demo             `driftwatch demo` only (embedded store, never on a server)

CREATE USER IF NOT EXISTS driftwatch IDENTIFIED WITH sha256_password BY '${DRIFTWATCH_PASSWORD}';

-- The source tables: read, never written.
GRANT SELECT ON ${EVENTS_TABLE} TO driftwatch;
GRANT SELECT ON ${OUTCOMES_TABLE} TO driftwatch;

-- Its own database. driftwatch creates it on its first start if system.databases does not list it; this grant
-- allows creating that one database, nothing else (not needed when you create the database yourself, as in the
-- Replicated variant below).
GRANT CREATE DATABASE ON ${DRIFTWATCH_DATABASE}.* TO driftwatch;
-- Its tables: created (CREATE TABLE IF NOT EXISTS), read and written; columns added to tables from an older
-- release (ALTER TABLE … ADD COLUMN IF NOT EXISTS); rows deleted (lightweight DELETE needs ALTER DELETE: the
-- rollup ledger and re-folded hours; KILL MUTATION of its own timed-out DELETE is checked against it too);
-- rollup tables emptied when their fold changes (TRUNCATE). No DROP, no OPTIMIZE, no ALTER UPDATE.
GRANT CREATE TABLE, SELECT, INSERT, ALTER ADD COLUMN, ALTER DELETE, TRUNCATE ON ${DRIFTWATCH_DATABASE}.* TO driftwatch;

-- System tables it reads. Every user may read system tables unless the server sets
-- access_control_improvements.select_from_system_db_requires_grant; these grants make it work either way.
-- Rows of system.tables, system.columns, system.parts and system.mutations are shown only for tables the
-- user has a grant on: the grants above are what makes driftwatch see its source tables there.
GRANT SELECT ON system.columns TO driftwatch;             -- source columns and types (every start, check-config)
GRANT SELECT ON system.tables TO driftwatch;              -- own tables to move after an upgrade; ingest's target engine
GRANT SELECT ON system.parts TO driftwatch;               -- new source rows since the last fold (rollup), parts of a stalled mutation
GRANT SELECT ON system.mutations TO driftwatch;           -- what holds a DELETE that timed out
GRANT SELECT ON system.disks TO driftwatch;               -- free space, when a write fails
GRANT SELECT ON system.merge_tree_settings TO driftwatch; -- ingest: the deduplication window of its target
GRANT SELECT ON system.databases TO driftwatch;           -- whether its database exists, and is Replicated
GRANT SELECT ON system.data_skipping_indices TO driftwatch; -- advise: the source tables' skip indexes

-- Optional: sharded sources (Distributed tables). driftwatch lists the shard tables' parts on every replica with
-- clusterAllReplicas(cluster, system.parts) to find new rows (docs/operations.md, "Sharded (Distributed) source
-- tables"); that table function needs REMOTE (READ ON REMOTE in newer releases). The credentials of the cluster's
-- <remote_servers> entry must also read system.parts and system.tables on every server.
-- GRANT REMOTE ON *.* TO driftwatch;

-- Optional: `driftwatch ingest` (and `seed`) write the source tables. Grant only to a user that runs them:
-- GRANT INSERT ON ${EVENTS_TABLE} TO driftwatch;
-- GRANT INSERT ON ${OUTCOMES_TABLE} TO driftwatch;

-- Optional, once: upgrading a store from before store.driftwatchDatabase. On its first start driftwatch moves
-- its old tables (the names above, plus tables.history) from store.database into its database with RENAME
-- TABLE, which needs SELECT and DROP TABLE on them; without them driftwatch does not even see the old tables
-- (system.tables hides them) and starts with empty ones: history, alert state and rollup left behind. Replace
-- ${OLD_DATABASE} with store.database (ClickHouse 24.10+ for the wildcard; else one GRANT per table), start
-- driftwatch once, then revoke:
-- GRANT SELECT, DROP TABLE ON ${OLD_DATABASE}.driftwatch_* TO driftwatch;
-- REVOKE SELECT, DROP TABLE ON ${OLD_DATABASE}.driftwatch_* FROM driftwatch;

-- Optional: Grafana's own read-only user for the provisioned datasource (grafana/provisioning/datasources/
-- clickhouse.yml, username). The ClickHouse plugin sets max_execution_time on every query, which readonly = 1
-- refuses unless the setting is changeable in readonly mode. Replace ${GRAFANA_PASSWORD}:
-- CREATE SETTINGS PROFILE IF NOT EXISTS driftwatch_grafana SETTINGS readonly = 1, max_execution_time = 60 CHANGEABLE_IN_READONLY;
-- CREATE USER IF NOT EXISTS driftwatch_grafana IDENTIFIED WITH sha256_password BY '${GRAFANA_PASSWORD}' SETTINGS PROFILE 'driftwatch_grafana';
-- GRANT SELECT ON ${DRIFTWATCH_DATABASE}.* TO driftwatch_grafana;

-- Replicated variant (a cluster). A user allowed ON CLUSTER queries creates driftwatch's database before
-- driftwatch first starts, on every replica, as a Replicated database (ClickHouse docs: "Replicated",
-- https://clickhouse.com/docs/engines/database-engines/replicated):
--
-- CREATE DATABASE IF NOT EXISTS driftwatch ON CLUSTER '{cluster}'
--   ENGINE = Replicated('/clickhouse/databases/driftwatch', '{shard}', '{replica}');
--
-- driftwatch then finds it (system.databases) and sees its engine: in a Replicated database it creates each of
-- its tables as ReplicatedMergeTree / ReplicatedReplacingMergeTree(version), without arguments (the defaults
-- /clickhouse/tables/{uuid}/{shard} and {replica} apply), so their rows — alert state, outbox, the lease — are
-- the same on every replica and the insert-token compare-and-set of the outbox and the lease holds across them
-- (Keeper keeps the tokens). A Replicated database alone would replicate metadata only ("if the table is not
-- replicated, the data will not be replicated"). Nothing to do beyond creating the database.
