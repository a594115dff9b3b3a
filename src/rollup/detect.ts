// Change detection: which folded hours saw new source rows since they were folded, found from insert blocks, not by rescanning.
import type { Config } from '../config/index.js';
import type { QueryParams, Store } from '../store/index.js';
import { columnSql, renderSql, sourceRef, systemTableWhere, tableRef } from '../store/index.js';
import { HOUR_MS, floorHour } from '../aggregates/pieces.js';
import { foldedParams, piecesPredicate, selectQuery } from '../aggregates/sql.js';
import type { Ledger } from './ledger.js';
import { hourRuns } from './plan.js';
import { ROLLUP_TABLES } from './schema.js';

/** An active data part of a source table, as system.parts tells it (no data read). */
export interface SourcePart {
  name: string;
  minBlock: number;
  maxBlock: number;
  rows: number;
  /** Event-time range of the part (min-max of the partition key), in ms; 0 when the table has none. */
  minTime: number;
  maxTime: number;
}

export async function sourceParts(store: Store, config: Config, table: string): Promise<SourcePart[]> {
  const params: QueryParams = {};
  const rows = await store.select<{ name: string; min_block: number; max_block: number; rows: number; min_time: number; max_time: number }>(
    `SELECT name, min_block_number AS min_block, max_block_number AS max_block, rows,
       toUnixTimestamp(min_time) AS min_time, toUnixTimestamp(max_time) AS max_time
     FROM system.parts
     WHERE active AND ${systemTableWhere(table, params)}`,
    params,
    'rollup source parts',
  );
  return rows.map((r) => ({
    name: r.name,
    minBlock: Number(r.min_block),
    maxBlock: Number(r.max_block),
    rows: Number(r.rows),
    minTime: Number(r.min_time) * 1000,
    maxTime: Number(r.max_time) * 1000,
  }));
}

export function highestBlock(parts: readonly SourcePart[], fallback: number): number {
  return parts.reduce((m, p) => Math.max(m, p.maxBlock), fallback);
}

/** Average source rows per hour over the parts' time span: sizes fold chunks. */
export function rowsPerHour(parts: readonly SourcePart[]): number {
  const timed = parts.filter((p) => p.maxTime > 0);
  if (timed.length === 0) return parts.reduce((s, p) => s + p.rows, 0) / 24;
  const from = Math.min(...timed.map((p) => p.minTime));
  const to = Math.max(...timed.map((p) => p.maxTime));
  return timed.reduce((s, p) => s + p.rows, 0) / Math.max(1, (to - from) / HOUR_MS);
}

/**
 * Folded event hours whose row count changed. Parts with a block above the mark hold rows inserted since
 * the last refresh (or merged with such rows); only the folded hours inside their time ranges are counted,
 * and those whose count differs from the ledger's are returned. A part whose rows all lie in hours not
 * folded yet costs nothing: those hours are folded fresh when they complete.
 */
export async function changedEventHours(store: Store, config: Config, parts: readonly SourcePart[], mark: number, ledger: Ledger): Promise<number[]> {
  const touched = new Set<number>();
  for (const part of parts.filter((p) => p.maxBlock > mark)) {
    const from = part.maxTime > 0 ? floorHour(part.minTime) : -Infinity;
    const to = part.maxTime > 0 ? part.maxTime : Infinity;
    for (const hour of ledger.keys()) if (hour >= from && hour <= to) touched.add(hour);
  }
  if (touched.size === 0) return [];
  const params: QueryParams = {};
  const predicate = piecesPredicate('event_time', hourRuns([...touched]), 'h', params);
  const counts = await selectQuery<{ h: number; n: number }>(store, config, 'rollup_hour_counts', params, { hours: predicate });
  const now = new Map(counts.map((c) => [Number(c.h) * 1000, Number(c.n)]));
  return [...touched].filter((hour) => (now.get(hour) ?? 0) !== ledger.get(hour)?.rows).sort((a, b) => a - b);
}

/**
 * Hours of outcome time in parts inserted since the mark, and the mark to keep. The outcomes table has no
 * time partitioning, so the new parts' outcome times are read (new parts are small). A part merged away
 * meanwhile keeps the mark below its blocks, so the merged part is looked at next time.
 */
export async function newOutcomeHours(store: Store, config: Config, parts: readonly SourcePart[], mark: number): Promise<{ hours: number[]; mark: number; parts: string[] }> {
  const fresh = parts.filter((p) => p.maxBlock > mark);
  if (fresh.length === 0) return { hours: [], mark, parts: [] };
  const rows = await store.select<{ hour: number }>(
    `SELECT DISTINCT toUnixTimestamp(toStartOfHour(${columnSql(config.columns.outcomes.outcome_time)})) AS hour FROM ${newOutcomesSql(config)}`,
    { parts: fresh.map((p) => p.name) },
    'rollup new outcome hours',
  );
  const still = new Set((await sourceParts(store, config, config.tables.outcomes)).map((p) => p.name));
  const vanished = fresh.filter((p) => !still.has(p.name));
  const kept = vanished.length === 0 ? highestBlock(parts, mark) : Math.max(mark, Math.min(...vanished.map((p) => p.minBlock)) - 1);
  return { hours: rows.map((r) => Number(r.hour) * 1000), mark: kept, parts: fresh.map((p) => p.name) };
}

/** `outcomes WHERE` its part is one of `{parts}`: the rows of the outcome parts a refresh has not looked at yet. */
export function newOutcomesSql(config: Config): string {
  return `${sourceRef(config.tables.outcomes)} WHERE has({parts:Array(String)}, _part)`;
}

/** The transaction ids of the new outcome parts (`{parts}`), as a subquery. */
export function newOutcomeIdsSql(config: Config): string {
  return `(SELECT ${columnSql(config.columns.outcomes.transaction_id)} FROM ${newOutcomesSql(config)})`;
}

/**
 * Event hours among `hours` whose transactions have an outcome in one of `parts`: the hours whose labels a late or
 * corrected outcome may change, however late it came (the label rule takes the latest outcome). Reads the events'
 * ids and times over those hours against the set of the new parts' ids; no event hour is guessed from outcome times.
 */
export async function touchedEventHours(store: Store, config: Config, parts: readonly string[], hours: readonly number[]): Promise<number[]> {
  if (parts.length === 0 || hours.length === 0) return [];
  const params: QueryParams = { parts: [...parts] };
  const predicate = piecesPredicate('event_time', hourRuns(hours), 'h', params);
  const sql = renderSql(
    `SELECT DISTINCT toUnixTimestamp(toStartOfHour(event_time)) AS h FROM {{events}}
     WHERE (${predicate}) AND transaction_id IN ${newOutcomeIdsSql(config)}`,
    config,
  );
  const rows = await store.select<{ h: number }>(sql, params, 'rollup touched label hours');
  return rows.map((r) => Number(r.h) * 1000).sort((a, b) => a - b);
}

/**
 * Folded outcome hours (of `ledger`) one of whose orphans has an outcome in one of `parts`: that later outcome is
 * now the transaction's latest, so the orphan leaves the hour it was counted in. Reads the new parts' ids and the
 * orphans' ids the rollup keeps, nothing of the window.
 */
export async function movedOrphanHours(store: Store, config: Config, parts: readonly string[], ledger: Ledger): Promise<number[]> {
  if (parts.length === 0 || ledger.size === 0) return [];
  const hours = [...ledger.keys()];
  const params: QueryParams = { parts: [...parts], hour_to: Math.max(...hours) / 1000 + 3600 };
  foldedParams('folded', ledger, hours, params);
  const rows = await store.select<{ h: number }>(
    `SELECT DISTINCT toUnixTimestamp(hour) AS h FROM ${tableRef(config, ROLLUP_TABLES.orphans)} ARRAY JOIN orphan_ids AS id
     WHERE toUnixTimestamp(hour) >= {folded_base:UInt32} AND toUnixTimestamp(hour) < {hour_to:UInt32}
       AND version = {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]
       AND id IN ${newOutcomeIdsSql(config)}`,
    params,
    'rollup moved orphans',
  );
  return rows.map((r) => Number(r.h) * 1000);
}

/** Outcome hours whose orphan count an event in hour `eventHour` can change (orphan_outcomes.sql: events from the lookback before the outcome's hour to its end). */
export function orphanHoursOf(eventHours: readonly number[], lookbackMs: number): number[] {
  const ahead = Math.ceil(lookbackMs / HOUR_MS) * HOUR_MS;
  const out = new Set<number>();
  for (const t of eventHours) for (let h = t; h <= t + ahead; h += HOUR_MS) out.add(h);
  return [...out];
}
