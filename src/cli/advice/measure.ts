// What `driftwatch advise` asks the store, all of it SELECT or EXPLAIN: the source tables' layout and size, what each planned read selects, and what a min-max index would keep.
import type { Config } from '../../config/index.js';
import { isIdentifier, quoteIdentifier } from '../../config/index.js';
import { StoreQueryError } from '../../errors.js';
import { chTime, systemTableWhere, type QueryParams, type Store } from '../../store/index.js';
import type { Piece } from '../../aggregates/pieces.js';
import type { PlannedRead, SourceKey } from './reads.js';

export interface SkipIndex {
  name: string;
  type: string;
  expr: string;
  granularity: number;
}

/** The time column a table's reads filter on, as the config maps it. */
export interface TimeColumn {
  /** `event_time` or `outcome_time`: the config key under columns.events / columns.outcomes. */
  canonical: 'event_time' | 'outcome_time';
  /** The mapping as configured: a column name or an expression. */
  mapping: string;
  /** The column, when the mapping is a plain column of the table. */
  column?: string;
  type?: string;
  /** The column's size over the active parts (0 for an expression). */
  compressedBytes: number;
  uncompressedBytes: number;
  /** Compact parts (the small ones) keep no per-column sizes: then both are rows × the type's width, uncompressed. */
  estimated: boolean;
}

/** Bytes of one value of a time type. */
export function timeWidth(type: string | undefined): number {
  if (!type) return 8;
  if (/DateTime64/.test(type)) return 8;
  if (/Date32|DateTime/.test(type)) return 4;
  if (/Date/.test(type)) return 2;
  return 8;
}

export interface TableFacts {
  key: SourceKey;
  /** As configured (`tables.events`). */
  configured: string;
  database: string;
  name: string;
  engine: string;
  /** The engine with its arguments (a Distributed table's cluster and local table). */
  engineFull: string;
  partitionKey: string;
  sortingKey: string;
  primaryKey: string;
  skipIndexes: SkipIndex[];
  projections: string[];
  rows: number;
  bytesOnDisk: number;
  parts: number;
  granules: number;
  time: TimeColumn;
}

/** One step of a read's index analysis, as EXPLAIN indexes = 1 reports it. */
export interface IndexStep {
  type: string;
  name?: string;
  keys: string[];
  condition?: string;
  parts: { selected: number; total: number };
  granules: { selected: number; total: number };
}

/** One scan of a source table within a read. */
export interface TableScan {
  key: SourceKey;
  parts: { selected: number; total: number };
  granules: { selected: number; total: number };
  steps: IndexStep[];
}

const TIME_KEY: Record<SourceKey, 'event_time' | 'outcome_time'> = { events: 'event_time', outcomes: 'outcome_time' };

/** Engine, keys, skip indexes, projections and size of a source table, and the size of its time column: from system tables only. */
export async function tableFacts(store: Store, config: Config, key: SourceKey): Promise<TableFacts> {
  const configured = config.tables[key];
  const params: QueryParams = {};
  const where = systemTableWhere(configured, params, 'name');
  const [table] = await store.select<{ database: string; name: string; engine: string; partition_key: string; sorting_key: string; primary_key: string; create_table_query: string; engine_full: string }>(
    `SELECT database, name, engine, engine_full, partition_key, sorting_key, primary_key, create_table_query FROM system.tables WHERE ${where}`,
    params,
    'advise table',
  );
  if (!table) throw new Error(`advise: table ${configured} vanished while it was being read`);
  const own = { database: table.database, table: table.name };
  const inTable = 'database = {database:String} AND table = {table:String}';
  const skipIndexes = await store.select<SkipIndex>(`SELECT name, type, expr, granularity FROM system.data_skipping_indices WHERE ${inTable} ORDER BY name`, own, 'advise skip indexes');
  const [size] = await store.select<{ parts: number; rows: number; bytes: number; marks: number }>(
    `SELECT count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, sum(marks) AS marks FROM system.parts WHERE active AND ${inTable}`,
    own,
    'advise table size',
  );
  const mapping = (config.columns[key] as Record<string, string | null>)[TIME_KEY[key]] as string;
  const time: TimeColumn = { canonical: TIME_KEY[key], mapping, compressedBytes: 0, uncompressedBytes: 0, estimated: false };
  if (isIdentifier(mapping)) {
    const [column] = await store.select<{ type: string; compressed: number; uncompressed: number }>(
      `SELECT type, data_compressed_bytes AS compressed, data_uncompressed_bytes AS uncompressed
       FROM system.columns WHERE ${inTable} AND name = {column:String}`,
      { ...own, column: mapping },
      'advise column size',
    );
    time.column = mapping;
    if (column?.type) time.type = column.type;
    time.compressedBytes = Number(column?.compressed ?? 0);
    time.uncompressedBytes = Number(column?.uncompressed ?? 0);
    if (time.uncompressedBytes === 0) {
      time.estimated = true;
      time.compressedBytes = time.uncompressedBytes = Number(size?.rows ?? 0) * timeWidth(time.type);
    }
  }
  const parts = Number(size?.parts ?? 0);
  return {
    key,
    configured,
    database: table.database,
    name: table.name,
    engine: table.engine,
    engineFull: table.engine_full,
    partitionKey: table.partition_key,
    sortingKey: table.sorting_key,
    primaryKey: table.primary_key,
    skipIndexes: skipIndexes.map((i) => ({ ...i, granularity: Number(i.granularity) })),
    projections: projectionsOf(table.create_table_query),
    rows: Number(size?.rows ?? 0),
    bytesOnDisk: Number(size?.bytes ?? 0),
    parts,
    // With adaptive granularity (the default) every part has a final mark past its last granule.
    granules: Math.max(0, Number(size?.marks ?? 0) - parts),
    time,
  };
}

/** The table's projections, named in its CREATE statement (`PROJECTION name (…)`). */
function projectionsOf(create: string): string[] {
  return [...create.matchAll(/\bPROJECTION\s+`?(\w+)`?\s*\(/g)].map((m) => m[1] ?? '');
}

/** What a read selects of each source table: `EXPLAIN json = 1, indexes = 1` (the engine builds the IN sets the plan needs, reading nothing else). */
export async function explainRead(store: Store, read: PlannedRead, tables: readonly TableFacts[]): Promise<TableScan[]> {
  const [row] = await store.select<{ explain: string }>(`EXPLAIN json = 1, indexes = 1 ${read.sql}`, read.params, `advise explain ${read.query}`);
  const plan = JSON.parse(row?.explain ?? '[]') as { Plan?: PlanNode }[];
  const scans: TableScan[] = [];
  const visit = (node: PlanNode | undefined): void => {
    if (!node) return;
    if (node['Node Type'] === 'ReadFromMergeTree') {
      const table = tables.find((t) => node.Description === `${t.database}.${t.name}`);
      if (table) scans.push(scanOf(node, table));
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  for (const entry of plan) visit(entry.Plan);
  return scans;
}

interface PlanNode {
  'Node Type'?: string;
  Description?: string;
  Indexes?: ExplainIndex[];
  Plans?: PlanNode[];
}

interface ExplainIndex {
  Type?: string;
  Name?: string;
  Keys?: string[];
  Condition?: string;
  'Initial Parts'?: number;
  'Selected Parts'?: number;
  'Initial Granules'?: number;
  'Selected Granules'?: number;
}

function scanOf(node: PlanNode, table: TableFacts): TableScan {
  const steps: IndexStep[] = (node.Indexes ?? []).map((i) => ({
    type: i.Type ?? 'unknown',
    ...(i.Name !== undefined ? { name: i.Name } : {}),
    keys: i.Keys ?? [],
    ...(i.Condition !== undefined ? { condition: i.Condition } : {}),
    parts: { selected: Number(i['Selected Parts'] ?? 0), total: Number(i['Initial Parts'] ?? 0) },
    granules: { selected: Number(i['Selected Granules'] ?? 0), total: Number(i['Initial Granules'] ?? 0) },
  }));
  const first = steps[0];
  const last = steps[steps.length - 1];
  // No index analysis at all: every part and granule is read.
  if (!first || !last) return { key: table.key, parts: { selected: table.parts, total: table.parts }, granules: { selected: table.granules, total: table.granules }, steps };
  return { key: table.key, parts: { selected: last.parts.selected, total: first.parts.total }, granules: { selected: last.granules.selected, total: first.granules.total }, steps };
}

/**
 * Per read, how many of the table's granules a min-max index on `column` would keep: those whose [min, max] meets
 * one of the read's ranges. The column's min and max per granule are what such an index stores, so this is
 * exact for today's parts (merges move it later). One pass over the column, grouped by part and granule.
 */
export async function minmaxKept(store: Store, table: TableFacts, column: string, reads: readonly { id: string; ranges: Piece[] }[]): Promise<{ granules: number; kept: Map<string, number> }> {
  const params: QueryParams = {};
  const kept = reads.map((read, r) => {
    const meets = read.ranges.map((range, i) => {
      params[`r${r}_${i}_from`] = chTime(range.from);
      params[`r${r}_${i}_to`] = chTime(range.to);
      return `(hi >= {r${r}_${i}_from:DateTime64(3, 'UTC')} AND lo < {r${r}_${i}_to:DateTime64(3, 'UTC')})`;
    });
    return `countIf(${meets.length > 0 ? meets.join(' OR ') : '0'}) AS k${r}`;
  });
  const from = `${quoteIdentifier(table.database)}.${quoteIdentifier(table.name)}`;
  const sql = (granule: string) =>
    `SELECT count() AS granules${kept.map((k) => `, ${k}`).join('')}
     FROM (SELECT _part, ${granule} AS g, min(${quoteIdentifier(column)}) AS lo, max(${quoteIdentifier(column)}) AS hi FROM ${from} GROUP BY _part, g)`;
  let rows: Record<string, number>[];
  try {
    rows = await store.select<Record<string, number>>(sql('_part_granule_offset'), params, 'advise granule ranges');
  } catch (error) {
    // Servers before _part_granule_offset: rows by offset in granules of the table's index_granularity (8,192 by default).
    if (!(error instanceof StoreQueryError)) throw error;
    rows = await store.select<Record<string, number>>(sql('intDiv(_part_offset, 8192)'), params, 'advise granule ranges');
  }
  const [row] = rows;
  return { granules: Number(row?.granules ?? 0), kept: new Map(reads.map((read, r) => [read.id, Number(row?.[`k${r}`] ?? 0)])) };
}
