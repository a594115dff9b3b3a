// Loads queries/*.sql and fills in the identifiers from config; values always travel as {name:Type} parameters.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import { quoteIdentifier } from '../config/index.js';
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
 *   whatever the user's columns are called, plus `segment` (Array(String), one value per configured segment column);
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
        return tableRef(config, config.tables.events);
      case 'outcomes_table':
        return tableRef(config, config.tables.outcomes);
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

export function tableRef(config: Config, table: string): string {
  return config.store.url ? `${quoteIdentifier(config.store.database)}.${quoteIdentifier(table)}` : quoteIdentifier(table);
}

/** `[toString(`issuer`), toString(`region`)]`: the segment key of a row. */
export function segmentExpression(config: Config): string {
  return `[${config.segments.map((column) => `toString(${quoteIdentifier(column)})`).join(', ')}]`;
}

function renamed(columns: Record<string, string>): string {
  return Object.entries(columns)
    .map(([canonical, actual]) => `${quoteIdentifier(actual)} AS ${quoteIdentifier(canonical)}`)
    .join(', ');
}

function eventsSource(config: Config): string {
  return `(SELECT ${renamed(config.columns.events)}, ${segmentExpression(config)} AS segment FROM ${tableRef(config, config.tables.events)})`;
}

function outcomesSource(config: Config): string {
  return `(SELECT ${renamed(config.columns.outcomes)} FROM ${tableRef(config, config.tables.outcomes)})`;
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
