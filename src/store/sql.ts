// Loads queries/*.sql and fills in the identifiers from config; values always travel as {name:Type} parameters.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import { isIdentifier, quoteIdentifier, quoteTableName, splitTableName } from '../config/index.js';
import type { QueryParams, Store } from './client.js';

/** The package root (where queries/ lives), from src/ under vitest or dist/src/ once built. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'queries')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the driftwatch package root (queries/ next to package.json)');
})();

const cache = new Map<string, string>();

/** The text of queries/NAME.sql. */
export function queryText(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(packageRoot, 'queries', `${name}.sql`), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/**
 * Placeholders a query may use, each expanded from validated config identifiers:
 * - `{{events}}`: the scoring events as a subquery with the canonical column names (the keys of `columns.events`)
 *   whatever the user's columns are called, plus `segment` (Array(String), one value per configured segment column)
 *   and `categories` (Map(String, String), the categorical features' values: `categoriesExpression`);
 * - `{{outcomes}}`: the outcomes, likewise renamed;
 * - `{{events_table}}`, `{{outcomes_table}}`, `{{history_table}}` and `{{table:NAME}}`: quoted table names;
 * - `{{segment_columns}}`: the quoted segment columns of the events table, comma-separated;
 * - `{{query:NAME}}`: queries/NAME.sql as a subquery, so one rule is written once (a fold inserts what a read selects).
 */
export function renderSql(text: string, config: Config): string {
  return text.replace(/\{\{\s*([a-z_]+)(?::([A-Za-z0-9_]+))?\s*\}\}/g, (_match, key: string, arg: string | undefined) => {
    switch (key) {
      case 'events':
        return eventsSource(config);
      case 'outcomes':
        return outcomesSource(config);
      case 'events_table':
        return sourceRef(config.tables.events);
      case 'outcomes_table':
        return sourceRef(config.tables.outcomes);
      case 'history_table':
        return tableRef(config, config.tables.history);
      case 'table':
        return tableRef(config, arg ?? '');
      case 'segment_columns':
        return config.segments.map(quoteIdentifier).join(', ');
      case 'query':
        return `(${renderSql(queryText(arg ?? ''), config)})`;
      default:
        throw new Error(`unknown placeholder {{${key}}} in SQL`);
    }
  });
}

/** One of driftwatch's own tables, in store.driftwatchDatabase. */
export function tableRef(config: Config, table: string): string {
  return `${quoteIdentifier(config.store.driftwatchDatabase)}.${quoteIdentifier(table)}`;
}

/** A source table as config names it (`tables.events`): unqualified, it is the connection's database's. */
export function sourceRef(name: string): string {
  return quoteTableName(name);
}

/** A column mapping as SQL over its source table: the quoted column, or the expression in parentheses. */
export function columnSql(mapping: string): string {
  return isIdentifier(mapping) ? quoteIdentifier(mapping) : `(${mapping})`;
}

/**
 * The condition that picks a source table's rows in system.columns / system.parts / system.tables (whose
 * table column is `column`): its database as configured, else the connection's current one.
 */
export function systemTableWhere(name: string, params: QueryParams, column = 'table'): string {
  const { database, table } = splitTableName(name);
  params.table = table;
  if (database !== undefined) params.database = database;
  return `${column} = {table:String} AND database = ${database === undefined ? 'currentDatabase()' : '{database:String}'}`;
}

/** `[toString(`issuer`), toString(`region`)]`: the segment key of a row. */
export function segmentExpression(config: Config): string {
  return `[${config.segments.map((column) => `toString(${quoteIdentifier(column)})`).join(', ')}]`;
}

/**
 * What a switched-off optional column reads as (src/store/sources.ts): every row live, of no version, without a
 * decision, latency, features or chargeback. Queries need no branches: a model without `variant` has no shadow rows.
 */
const SWITCHED_OFF: Record<string, string> = {
  model_version: "''",
  variant: "'live'",
  decision: "''",
  latency_ms: 'CAST(nan AS Float64)',
  features: "CAST(map(), 'Map(String, Float64)')",
  chargeback: "CAST(NULL, 'Nullable(UInt8)')",
};

/** Each column the queries read as SQL over the source table: the column, the expression in parentheses, or the off value. */
function mapped(columns: Readonly<Record<string, string | null>>, read: readonly string[]): [string, string][] {
  return read.map((canonical) => {
    const actual = columns[canonical];
    const value = actual === null || actual === undefined ? SWITCHED_OFF[canonical] : columnSql(actual);
    if (value === undefined) throw new Error(`columns.${canonical} cannot be switched off`);
    return [canonical, value];
  });
}

/**
 * `(SELECT <value> AS <canonical>, … FROM table)`. ClickHouse lets one item of a SELECT see another's alias, so
 * with `model_version: model` beside `model: model_name` the version would read the aliased model_name. Unless
 * every mapping is its own column under its own name (the seeded schema: one plain SELECT), the values are taken
 * under private aliases first and renamed outside, where no source column can be confused with one.
 */
function sourceSubquery(values: [string, string][], extra: [string, string][], table: string): string {
  const all = [...values, ...extra];
  if (values.every(([canonical, value]) => value === quoteIdentifier(canonical))) {
    return `(SELECT ${all.map(([canonical, value]) => `${value} AS ${quoteIdentifier(canonical)}`).join(', ')} FROM ${table})`;
  }
  const inner = all.map(([canonical, value]) => `${value} AS ${quoteIdentifier(`driftwatch_${canonical}`)}`).join(', ');
  const outer = all.map(([canonical]) => `${quoteIdentifier(`driftwatch_${canonical}`)} AS ${quoteIdentifier(canonical)}`).join(', ');
  return `(SELECT ${outer} FROM (SELECT ${inner} FROM ${table}))`;
}

/** The events columns queries/ read (the seeded schema's others are seed's and ingest's only). */
export const EVENT_COLUMNS_READ = ['event_time', 'transaction_id', 'model', 'model_version', 'variant', 'score', 'decision', 'latency_ms', 'features'] as const;
export const OUTCOME_COLUMNS_READ = ['transaction_id', 'outcome_time', 'approved', 'chargeback'] as const;

/**
 * `categories` of `{{events}}`: each categorical feature's value as a string (an Enum's name; a FixedString without
 * the NUL bytes that pad a shorter value), a NULL left out, so a missing value is excluded as a missing map key is.
 * Names are validated identifiers (config.featureColumns).
 */
export function categoriesExpression(config: Config): string {
  if (config.featureColumns.length === 0) return "CAST(map(), 'Map(String, String)')";
  const pairs = config.featureColumns.map((column) => `'${column}', trim(TRAILING '\\0' FROM toString(${quoteIdentifier(column)}))`).join(', ');
  return `CAST(mapFilter((k, v) -> isNotNull(v), map(${pairs})), 'Map(String, String)')`;
}

function eventsSource(config: Config): string {
  return sourceSubquery(
    mapped(config.columns.events, EVENT_COLUMNS_READ),
    [
      ['segment', segmentExpression(config)],
      ['categories', categoriesExpression(config)],
    ],
    sourceRef(config.tables.events),
  );
}

function outcomesSource(config: Config): string {
  return sourceSubquery(mapped(config.columns.outcomes, OUTCOME_COLUMNS_READ), [], sourceRef(config.tables.outcomes));
}

/** Runs queries/NAME.sql with parameters and returns its rows. */
export function runQuery<T>(store: Store, config: Config, name: string, params: QueryParams = {}): Promise<T[]> {
  return store.select<T>(renderSql(queryText(name), config), params, name);
}

/** Runs queries/NAME.sql as a statement (INSERT … SELECT, DDL). */
export function runCommand(store: Store, config: Config, name: string, params: QueryParams = {}): Promise<void> {
  return store.command(renderSql(queryText(name), config), params, name);
}

/** Formats a time as a ClickHouse DateTime64(3) parameter value (UTC). */
export function chTime(time: Date | number): string {
  return new Date(time).toISOString().replace('T', ' ').replace('Z', '');
}
