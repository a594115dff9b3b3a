// Change detection: which folded hours saw new source rows since they were folded, found from insert blocks, not by rescanning.
import type { Config } from '../config/index.js';
import type { QueryParams, Store } from '../store/index.js';
import { columnSql, renderSql, sourceRef, systemTableWhere, tableRef } from '../store/index.js';
import { blockOrdered, checkedSourceEngine, hasParts, stringLiteral, type SourceEngine } from '../store/distributed.js';
import { HOUR_MS, floorHour } from '../aggregates/pieces.js';
import { foldedParams, piecesPredicate, selectQuery } from '../aggregates/sql.js';
import type { Ledger } from './ledger.js';
import { hourRuns } from './plan.js';
import { ROLLUP_TABLES } from './schema.js';

/** An active data part of a source table, as system.parts tells it (no data read). */
export interface SourcePart {
  name: string;
  /**
   * Its insert block range where the source's blocks are ordered (SourceParts.ordered); else both are the number
   * PartRegistry gave the part when this process first saw it. Either way a part above a mark is newer than it.
   */
  minBlock: number;
  maxBlock: number;
  rows: number;
  /** Event-time range of the part (min-max of the partition key), in ms; 0 when the table has none. */
  minTime: number;
  maxTime: number;
}

/** The active parts of a source table, and how the new ones are told. */
export interface SourceParts {
  parts: SourcePart[];
  /**
   * True: numbered by insert block (a non-replicated MergeTree table: one counter, taken at commit), so marks hold
   * for any process and live in the ledger. False: a Distributed table (the parts of its shard table on every
   * replica of its cluster), a Replicated or Shared one (blocks numbered per partition, before commit): numbered
   * by this process's PartRegistry, so marks are the process's own (RollupState.partMarks).
   */
  ordered: boolean;
}

/**
 * Numbers the parts of unordered sources in the order this process first sees them. A part is known by where it
 * is (the replica, for a Distributed source) and its name, which ClickHouse never gives to other rows there: a
 * merge, a mutation or an insert makes a part of a new name. So every part a listing holds that the listing of a
 * mark did not is numbered above that mark: exactly "inserted (or rewritten) since", as block numbers say for a
 * plain MergeTree table. A new process has seen nothing: everything is new to it (a cold start's cost).
 */
export class PartRegistry {
  #last = 0;
  readonly #tables = new Map<string, Map<string, number>>();

  /** The number of each key (keys of one listing of `table`, in order); keys the listing no longer holds are forgotten. */
  number(table: string, keys: readonly string[]): number[] {
    const known = this.#tables.get(table) ?? new Map<string, number>();
    const next = new Map<string, number>();
    const out = keys.map((key) => {
      const n = known.get(key) ?? next.get(key) ?? ++this.#last;
      next.set(key, n);
      return n;
    });
    // A part gone from a listing never comes back under its key (names are not reused); forgetting it bounds the map.
    this.#tables.set(table, next);
    return out;
  }
}

interface PartRow {
  name: string;
  min_block: number;
  max_block: number;
  rows: number;
  min_time: number;
  max_time: number;
  /** Distributed sources: the replica (clusterAllReplicas numbers replicas as shards) and its address. */
  replica?: number;
  host?: string;
}

const PART_COLUMNS = `name, min_block_number AS min_block, max_block_number AS max_block, rows,
       toUnixTimestamp(min_time) AS min_time, toUnixTimestamp(max_time) AS max_time`;

/**
 * The active parts of source table `table`. A plain MergeTree table's come from system.parts with their block
 * numbers; a Distributed table's are its shard table's on every replica of its cluster (clusterAllReplicas, the
 * Distributed table itself has none), numbered by `registry`, as are a Replicated table's. `engine`: the table's,
 * as checkedSourceEngine found it (RollupState keeps it for a cycle).
 */
export async function sourceParts(store: Store, table: string, registry: PartRegistry, engine?: SourceEngine): Promise<SourceParts> {
  const found = engine ?? (await checkedSourceEngine(store, table));
  const params: QueryParams = {};
  let rows: PartRow[];
  if (found.distributed) {
    const target = found.distributed;
    params.table = target.table;
    if (target.database !== '') params.database = target.database;
    rows = await store.select<PartRow>(
      `SELECT ${PART_COLUMNS}, _shard_num AS replica, concat(hostName(), ':', toString(tcpPort())) AS host
       FROM clusterAllReplicas(${stringLiteral(target.cluster)}, system.parts)
       WHERE active AND table = {table:String}${target.database === '' ? '' : ' AND database = {database:String}'}`,
      params,
      'rollup source parts',
    );
  } else {
    rows = await store.select<PartRow>(`SELECT ${PART_COLUMNS} FROM system.parts WHERE active AND ${systemTableWhere(table, params)}`, params, 'rollup source parts');
  }
  // Engines without parts (a View, a Merge table) list none either way: nothing is seen, as before (docs/operations.md).
  const ordered = !found.distributed && (blockOrdered(found.engine) || !hasParts(found.engine));
  const numbers = ordered ? [] : registry.number(table, rows.map((r) => `${r.replica ?? 0}\u0000${r.host ?? ''}\u0000${r.name}`));
  const parts = rows.map((r, i) => ({
    name: r.name,
    minBlock: ordered ? Number(r.min_block) : (numbers[i] as number),
    maxBlock: ordered ? Number(r.max_block) : (numbers[i] as number),
    rows: Number(r.rows),
    minTime: Number(r.min_time) * 1000,
    maxTime: Number(r.max_time) * 1000,
  }));
  return { parts, ordered };
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
 * meanwhile (not in `relist`, the parts listed again after the read) keeps the mark below its blocks, so the
 * merged part is looked at next time (a registry-numbered merged part is above the mark anyway).
 */
export async function newOutcomeHours(
  store: Store,
  config: Config,
  parts: readonly SourcePart[],
  mark: number,
  relist: () => Promise<SourcePart[]>,
): Promise<{ hours: number[]; mark: number; parts: string[] }> {
  const fresh = parts.filter((p) => p.maxBlock > mark);
  if (fresh.length === 0) return { hours: [], mark, parts: [] };
  // One name may be a part of several replicas or shards: reading by name reads them all, a superset.
  const names = [...new Set(fresh.map((p) => p.name))];
  const rows = await store.select<{ hour: number }>(
    `SELECT DISTINCT toUnixTimestamp(toStartOfHour(${columnSql(config.columns.outcomes.outcome_time)})) AS hour FROM ${newOutcomesSql(config)}`,
    { parts: names },
    'rollup new outcome hours',
  );
  const still = new Set((await relist()).map((p) => p.name));
  const vanished = fresh.filter((p) => !still.has(p.name));
  const kept = vanished.length === 0 ? highestBlock(parts, mark) : Math.max(mark, Math.min(...vanished.map((p) => p.minBlock)) - 1);
  return { hours: rows.map((r) => Number(r.hour) * 1000), mark: kept, parts: names };
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
