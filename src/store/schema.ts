// Idempotent DDL: the two source tables (default schema, with the configured column names) and the history table.
import type { Config } from '../config/index.js';
import { quoteIdentifier as q } from '../config/index.js';
import type { Store } from './client.js';
import { tableRef } from './sql.js';

export function sourceTablesDdl(config: Config): string[] {
  const e = config.columns.events;
  const o = config.columns.outcomes;
  const events = `CREATE TABLE IF NOT EXISTS ${tableRef(config, config.tables.events)} (
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
  const outcomes = `CREATE TABLE IF NOT EXISTS ${tableRef(config, config.tables.outcomes)} (
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

/** Creates every table driftwatch reads or writes, if missing. Safe to run on every start. */
/** Creates the history table and, unless `sources` is false, the source tables in the default schema. */
export async function ensureSchema(store: Store, config: Config, options: { sources?: boolean } = {}): Promise<void> {
  for (const ddl of [...(options.sources === false ? [] : sourceTablesDdl(config)), historyTableDdl(config)]) await store.command(ddl, {}, 'schema');
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** The columns of a table as the store sees them; empty when the table does not exist. */
export async function describeTable(store: Store, config: Config, table: string): Promise<ColumnInfo[]> {
  const database = config.store.url ? config.store.database : undefined;
  const rows = await store.select<ColumnInfo>(
    `SELECT name, type FROM system.columns WHERE table = {table:String} AND database = ${database ? '{database:String}' : 'currentDatabase()'} ORDER BY position`,
    database ? { table, database } : { table },
    'describe table',
  );
  return rows;
}

/** Types each configured column must have (base type, ignoring LowCardinality/Nullable wrappers where harmless). */
const EVENT_TYPES: Record<string, RegExp> = {
  event_time: /^DateTime(64)?/,
  score: /^(Nullable\()?Float(32|64)/,
  amount: /^(Nullable\()?Float(32|64)|Decimal/,
  latency_ms: /^(Nullable\()?(Float|U?Int)/,
  features: /^Map\(String, Float(32|64)\)/,
};
const OUTCOME_TYPES: Record<string, RegExp> = { outcome_time: /^DateTime(64)?/, approved: /^(Nullable\()?U?Int8|^Bool/ };

export interface SourceProblem {
  /** A missing table or column stops every command that reads it; a type that does not fit is check-config's. */
  kind: 'missing' | 'type';
  text: string;
}

/** How the source tables differ from the config: missing tables and columns (naming the key), unfit types. */
export async function sourceSchemaProblems(store: Store, config: Config): Promise<SourceProblem[]> {
  const problems: SourceProblem[] = [];
  const check = async (key: 'events' | 'outcomes', types: Record<string, RegExp>, segments: readonly string[]) => {
    const table = config.tables[key];
    const actual = new Map((await describeTable(store, config, table)).map((c) => [c.name, c.type]));
    if (actual.size === 0) {
      problems.push({ kind: 'missing', text: `table ${table} (tables.${key}) does not exist` });
      return;
    }
    for (const [canonical, name] of Object.entries(config.columns[key] as Record<string, string>)) {
      const type = actual.get(name);
      if (type === undefined) problems.push({ kind: 'missing', text: `${table}: column ${name} (columns.${key}.${canonical}) is missing` });
      else if (types[canonical] && !types[canonical].test(type)) problems.push({ kind: 'type', text: `${table}.${name}: type ${type} does not fit ${canonical}` });
    }
    for (const name of segments) if (!actual.has(name)) problems.push({ kind: 'missing', text: `${table}: segment column ${name} (segments) is missing` });
  };
  await check('events', EVENT_TYPES, config.segments);
  await check('outcomes', OUTCOME_TYPES, []);
  return problems;
}
