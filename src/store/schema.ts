// Idempotent DDL: the two source tables (default schema, with the configured column names) and the history table.
import type { Config, EventColumns, OutcomeColumns } from '../config/index.js';
import { isIdentifier, quoteIdentifier as q } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Store } from './client.js';
import { sourceRef, tableRef } from './sql.js';

type Named<T> = { [K in keyof T]: string };

/**
 * The source columns as names, for the commands that create or write the source tables in the seeded schema
 * (seed, demo, ingest's checks): an expression or a switched-off column cannot be written.
 */
export function seededColumns(config: Config): { events: Named<EventColumns>; outcomes: Named<OutcomeColumns> } {
  const names = <T extends object>(key: 'events' | 'outcomes', columns: T): Named<T> => {
    for (const [canonical, value] of Object.entries(columns) as [string, string | null][]) {
      if (value === null || !isIdentifier(value)) {
        throw new ConfigError(
          `columns.${key}.${canonical} is ${value === null ? 'switched off (null)' : `an expression (${value})`}: seed, demo and ingest write the source tables in driftwatch's seeded schema, which needs a column name for every mapping; use a config with column names for them`,
        );
      }
    }
    return columns as Named<T>;
  };
  return { events: names('events', config.columns.events), outcomes: names('outcomes', config.columns.outcomes) };
}

export function sourceTablesDdl(config: Config): string[] {
  const { events: e, outcomes: o } = seededColumns(config);
  const events = `CREATE TABLE IF NOT EXISTS ${sourceRef(config.tables.events)} (
  ${q(e.event_time)}     DateTime64(3, 'UTC'),
  ${q(e.transaction_id)} String,
  ${q(e.model)}          LowCardinality(String),
  ${q(e.model_version)}  LowCardinality(String),
  ${q(e.variant)}        LowCardinality(String),
  ${q(e.issuer)}         LowCardinality(String),
  ${q(e.region)}         LowCardinality(String),
  ${q(e.card_network)}   LowCardinality(String),
  ${q(e.merchant_id)}    String,
  ${q(e.amount)}         Float64,
  ${q(e.currency)}       LowCardinality(String),
  ${q(e.score)}          Float64,
  ${q(e.decision)}       LowCardinality(String),
  ${q(e.latency_ms)}     Float64,
  ${q(e.features)}       Map(String, Float64)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(${q(e.event_time)})
ORDER BY (${q(e.model)}, ${q(e.variant)}, ${q(e.issuer)}, ${q(e.region)}, ${q(e.event_time)})`;
  const outcomes = `CREATE TABLE IF NOT EXISTS ${sourceRef(config.tables.outcomes)} (
  ${q(o.transaction_id)} String,
  ${q(o.outcome_time)}   DateTime64(3, 'UTC'),
  ${q(o.approved)}       UInt8,
  ${q(o.chargeback)}     Nullable(UInt8)
) ENGINE = ReplacingMergeTree(${q(o.outcome_time)})
ORDER BY ${q(o.transaction_id)}`;
  return [events, outcomes];
}

/**
 * The history table: every value of every cycle, per segment, for Grafana and the weekly report
 * (rows and metric names: src/sinks/history.ts). Deduplication by insert token makes a retried
 * write of one cycle land once; the TTL is history.ttl, to the second.
 */
export function historyTableDdl(config: Config): string {
  const ttlSeconds = Math.max(1, Math.round(config.history.ttl / 1000));
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, config.tables.history)} (
  at             DateTime64(3, 'UTC'),
  cycle_id       String,
  model          LowCardinality(String),
  monitor        LowCardinality(String),
  metric         LowCardinality(String),
  feature        LowCardinality(String),
  shadow_version LowCardinality(String),
  segment        Map(LowCardinality(String), String),
  value          Float64,
  threshold      Float64,
  severity       LowCardinality(String),
  n_current      UInt64,
  n_reference    UInt64,
  p_value        Float64,
  q_value        Float64,
  note           String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (model, monitor, metric, feature, at)
TTL toDateTime(at) + INTERVAL ${ttlSeconds} SECOND
SETTINGS non_replicated_deduplication_window = 1000`;
}

/** Creates driftwatch's database, the history table and, unless `sources` is false, the source tables in the default schema. */
export async function ensureSchema(store: Store, config: Config, options: { sources?: boolean } = {}): Promise<void> {
  await ensureOwnDatabase(store, config);
  for (const ddl of options.sources === false ? [] : sourceTablesDdl(config)) await store.command(ddl, {}, 'schema');
  await createOwnTable(store, config, historyTableDdl(config));
}

/**
 * Creates store.driftwatchDatabase unless it exists (so a database the DBA created needs no CREATE DATABASE grant:
 * docs/operations.md, "Production ClickHouse").
 */
export async function ensureOwnDatabase(store: Store, config: Config): Promise<void> {
  const database = config.store.driftwatchDatabase;
  const [found] = await store.select<{ engine: string }>('SELECT engine FROM system.databases WHERE name = {database:String}', { database }, 'own database');
  if (!found) await store.command(`CREATE DATABASE IF NOT EXISTS ${q(database)}`, {}, 'schema');
}

/** Per store, whether driftwatch's database is `Replicated` (asked once). */
const replicatedDatabase = new WeakMap<Store, Promise<boolean>>();

/**
 * Runs one of driftwatch's own CREATE TABLE statements. In a database of engine Replicated the tables become
 * Replicated*MergeTree (without arguments: the database gives their Keeper paths), so their rows — alert state,
 * outbox, the lease — are the same on every replica, and the insert-token compare-and-set of the outbox and the
 * lease holds across replicas (Keeper keeps the tokens). A Replicated database alone replicates only metadata.
 */
export async function createOwnTable(store: Store, config: Config, ddl: string, name = 'schema'): Promise<void> {
  let replicated = replicatedDatabase.get(store);
  if (replicated === undefined) {
    replicated = store
      .select<{ engine: string }>('SELECT engine FROM system.databases WHERE name = {database:String}', { database: config.store.driftwatchDatabase }, 'own database')
      .then(([row]) => row?.engine === 'Replicated');
    replicatedDatabase.set(store, replicated);
  }
  await store.command((await replicated) ? replicatedDdl(ddl) : ddl, {}, name);
}

/** A MergeTree-family CREATE TABLE for a Replicated database: Replicated engines, the replicated deduplication window. */
export function replicatedDdl(ddl: string): string {
  return ddl
    .replace(/ENGINE = (Replacing)?MergeTree\b/, (_match, kind: string | undefined) => `ENGINE = Replicated${kind ?? ''}MergeTree`)
    .replace(/\bnon_replicated_deduplication_window\b/, 'replicated_deduplication_window');
}
