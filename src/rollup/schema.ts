// The rollup's tables: hourly sums per model × version × variant × segment, and the ledger of folded hours.
import type { Config } from '../config/index.js';
import { createOwnTable, tableRef, type Store } from '../store/index.js';

export const ROLLUP_TABLES = {
  events: 'driftwatch_rollup_events',
  labels: 'driftwatch_rollup_labels',
  features: 'driftwatch_rollup_features',
  orphans: 'driftwatch_rollup_orphans',
  shadow: 'driftwatch_rollup_shadow',
  ledger: 'driftwatch_rollup_ledger',
} as const;

/**
 * The key every rollup row shares. Rows of a re-folded hour are written under a new `version`; readers take the
 * ledger's. `segment_key` (cityHash64 of the segment) is what reads group by: a number groups several times
 * faster than an array of strings; the segment itself is taken once per group.
 */
const KEY = `model         LowCardinality(String),
  model_version LowCardinality(String),
  variant       LowCardinality(String),
  segment       Array(LowCardinality(String)),
  segment_key   UInt64,
  hour          DateTime('UTC'),
  version       UInt64`;

/**
 * Event-side sums, folded once an hour is complete: rows, bad scores, within-hour duplicate ids, and the
 * valid scores' counts per cell of psi_score.sql's 256-cell logit grid, sparse (cells present, their counts):
 * a small segment's hour holds a handful of cells, and sumMap merges sparse maps fast.
 */
export function rollupEventsDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ROLLUP_TABLES.events)} (
  ${KEY},
  events        UInt64,
  nan_scores    UInt64,
  inf_scores    UInt64,
  out_of_range  UInt64,
  duplicates    UInt64,
  cells         Array(UInt8),
  counts        Array(UInt64)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (model, variant, hour, segment, model_version)`;
}

/**
 * Label-side sums of live rows, folded once an hour has matured (labels.sql's rule makes them final then): per
 * calibration bin, dense; performance.sql's: the calibratable events per score-grid cell by outcome (sparse:
 * cells present, approved and declined counts) and their log loss; and the events' decisions (approve, decline,
 * review, other) and latencies per cell of the log grid (sparse; aggregates/latency-grid.ts): an experiment's
 * arms are compared on them.
 */
export function rollupLabelsDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ROLLUP_TABLES.labels)} (
  ${KEY},
  events        UInt64,
  labeled       UInt64,
  approved      UInt64,
  cal_count     Array(UInt64),
  cal_score     Array(Float64),
  cal_label     Array(Float64),
  cal_sq_error  Array(Float64),
  perf_cells    Array(UInt8),
  perf_positive Array(UInt64),
  perf_negative Array(UInt64),
  log_loss      Float64,
  log_loss_sq   Float64,
  decisions     Array(UInt64),
  latency_cells Array(UInt16),
  latency_counts Array(UInt64),
  last_outcome  DateTime64(3, 'UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (model, variant, hour, segment, model_version)`;
}

/** Live events per stored feature bin (psi_feature.sql's bins), dense: a numeric feature has ten bins at most, a categorical one monitors.psi.maxCategories + 1. */
export function rollupFeaturesDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ROLLUP_TABLES.features)} (
  model         LowCardinality(String),
  feature       LowCardinality(String),
  segment       Array(LowCardinality(String)),
  segment_key   UInt64,
  hour          DateTime('UTC'),
  version       UInt64,
  bins          Array(UInt64)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (model, feature, hour, segment)`;
}

/**
 * Orphan outcomes per outcome hour (queries/orphan_outcomes.sql): one row per folded hour and version, with the
 * orphans' ids (a later outcome of one of them re-folds the hour) and the chunk's settled time.
 */
export function rollupOrphansDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ROLLUP_TABLES.orphans)} (
  hour      DateTime('UTC'),
  version   UInt64,
  outcomes   UInt64,
  orphans    UInt64,
  orphan_ids Array(String),
  settled    Int64
) ENGINE = MergeTree
ORDER BY (hour, version)`;
}

/**
 * Shadow vs live per model × shadow version × segment × hour (queries/shadow_pairs.sql), folded once an hour has
 * matured: current-window sums (matched, flips, joint cells, latencies) and matured-window sums (labels,
 * calibration) in one row; a read takes each side from the hours inside its window. Latencies are kept as
 * values (two per pair): exact quantiles merge no other way.
 */
export function rollupShadowDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ROLLUP_TABLES.shadow)} (
  model               LowCardinality(String),
  shadow_version      LowCardinality(String),
  segment             Array(LowCardinality(String)),
  segment_key         UInt64,
  hour                DateTime('UTC'),
  version             UInt64,
  live_versions       Array(LowCardinality(String)),
  n_matched           UInt64,
  n_scored            UInt64,
  sum_score_delta     Float64,
  flip_keys           Array(UInt8),
  flip_counts         Array(UInt64),
  n_labeled           UInt64,
  n_positive          UInt64,
  hist_cells          Array(UInt32),
  hist_current        Array(UInt64),
  hist_positive       Array(UInt64),
  hist_negative       Array(UInt64),
  cal_live_bins       Array(UInt16),
  cal_live_count      Array(UInt64),
  cal_live_score      Array(Float64),
  cal_live_label      Array(Float64),
  cal_live_sq_error   Array(Float64),
  cal_shadow_bins     Array(UInt16),
  cal_shadow_count    Array(UInt64),
  cal_shadow_score    Array(Float64),
  cal_shadow_label    Array(Float64),
  cal_shadow_sq_error Array(Float64),
  latency_live        Array(Float64),
  latency_shadow      Array(Float64),
  last_outcome        DateTime64(3, 'UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (model, shadow_version, hour, segment)`;
}

/**
 * Which hours each kind of rollup holds, under which config fingerprint and version, and how many source
 * rows the fold saw (change detection compares it). Also keeps the insertion marks (kind `mark:<table>`).
 */
export function rollupLedgerDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, ROLLUP_TABLES.ledger)} (
  kind        LowCardinality(String),
  fingerprint String,
  hour        DateTime('UTC'),
  version     UInt64,
  rows        UInt64,
  settled     Int64,
  folded_at   DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(version)
ORDER BY (kind, fingerprint, hour)`;
}

export const ROLLUP_DDL: readonly ((config: Config) => string)[] = [rollupEventsDdl, rollupLabelsDdl, rollupFeaturesDdl, rollupOrphansDdl, rollupShadowDdl, rollupLedgerDdl];

/**
 * Columns added after the first release, for stores whose tables predate them (driftwatch's own tables only: source
 * tables are never altered). A kind whose fold changed meaning is rebuilt through its fingerprint anyway.
 */
function addedColumns(config: Config): string[] {
  return [
    `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.labels)} ADD COLUMN IF NOT EXISTS last_outcome DateTime64(3, 'UTC')`,
    `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.shadow)} ADD COLUMN IF NOT EXISTS last_outcome DateTime64(3, 'UTC')`,
    `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.ledger)} ADD COLUMN IF NOT EXISTS settled Int64 AFTER rows`,
    `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.orphans)} ADD COLUMN IF NOT EXISTS orphan_ids Array(String)`,
    `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.orphans)} ADD COLUMN IF NOT EXISTS settled Int64`,
    ...['perf_cells Array(UInt8)', 'perf_positive Array(UInt64)', 'perf_negative Array(UInt64)', 'log_loss Float64', 'log_loss_sq Float64'].map(
      (column) => `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.labels)} ADD COLUMN IF NOT EXISTS ${column} AFTER cal_sq_error`,
    ),
    ...['decisions Array(UInt64)', 'latency_cells Array(UInt16)', 'latency_counts Array(UInt64)'].map(
      (column) => `ALTER TABLE ${tableRef(config, ROLLUP_TABLES.labels)} ADD COLUMN IF NOT EXISTS ${column} AFTER log_loss_sq`,
    ),
  ];
}

/**
 * Creates the rollup tables and adds missing columns, idempotently (RollupState runs it once per process). Source
 * tables are only read: no index, projection or setting is added to them (a projection on the outcomes table
 * blocked the user's own merges).
 */
export async function ensureRollupTables(store: Store, config: Config): Promise<void> {
  for (const ddl of ROLLUP_DDL) await createOwnTable(store, config, ddl(config), 'rollup schema');
  for (const statement of addedColumns(config)) await store.command(statement, {}, 'rollup schema');
}
