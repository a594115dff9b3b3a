// Source tables on a cluster: what a source table's engine says about reading it and about seeing its inserts.
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { QueryParams, Store } from './client.js';
import { systemTableWhere } from './sql.js';

/**
 * Settings sent with every statement unless `store.distributed` is false (src/store/client.ts). Every source is read
 * as a subquery (`{{events}}`), so with the analyzer (ClickHouse's default since 24.3, and what the rollup needs
 * anyway) the joins run where the query was received, and in-process shards showed no setting is needed; but a filter
 * above a remote shard's read may be sent to the shard with the query (allow_push_predicate_ast_for_distributed_subqueries,
 * 25.1+), and without the analyzer the raw path's `IN (SELECT … FROM outcomes)` is pushed into the shard query, where
 * ClickHouse refuses it (distributed_product_mode = 'deny', the default) or reads each shard's own outcomes only
 * ('local': wrong unless both tables are sharded by transaction). 'global' runs such a subquery once, at the
 * initiator, and sends its result to the shards (GLOBAL IN / GLOBAL JOIN), which is right however the tables are
 * sharded; it changes nothing for queries without a Distributed table (docs/operations.md, "Sharded (Distributed)
 * source tables").
 */
export const DISTRIBUTED_SETTINGS: ClickHouseSettings = { distributed_product_mode: 'global' };

export function distributedSettings(config: Config): ClickHouseSettings {
  return config.store.distributed ? DISTRIBUTED_SETTINGS : {};
}

/** A Distributed table's arguments: the cluster and the table on each shard ('' database: each replica's default). */
export interface DistributedTarget {
  cluster: string;
  database: string;
  table: string;
}

/** A source table's engine as system.tables tells it ('' when the table is not there), and its shards' table if Distributed. */
export interface SourceEngine {
  engine: string;
  distributed?: DistributedTarget;
}

/**
 * Whether insert block numbers of this engine follow commit order across the whole table, so that "parts above the
 * highest block seen" are exactly the parts committed since: true of the non-replicated MergeTree engines (one
 * table-wide counter, taken when a part is committed). Replicated and Shared engines number blocks per partition
 * and allocate a number before the part is committed, so a part may appear below a number already seen.
 */
export function blockOrdered(engine: string): boolean {
  return /^(Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite|Coalescing)?MergeTree$/.test(engine);
}

/** Whether system.parts lists this engine's parts (the MergeTree family, replicated or not). */
export function hasParts(engine: string): boolean {
  return /MergeTree$/.test(engine);
}

const QUOTED = String.raw`'((?:[^'\\]|\\.)*)'`;
const DISTRIBUTED_ARGS = new RegExp(String.raw`^Distributed\(\s*${QUOTED}\s*,\s*${QUOTED}\s*,\s*${QUOTED}`);

/** The cluster, database and table of a Distributed engine_full (ClickHouse shows its arguments as string literals). */
export function parseDistributed(engineFull: string): DistributedTarget | undefined {
  const m = DISTRIBUTED_ARGS.exec(engineFull);
  if (!m) return undefined;
  const unescape = (s: string | undefined) => (s ?? '').replace(/\\(.)/g, '$1');
  return { cluster: unescape(m[1]), database: unescape(m[2]), table: unescape(m[3]) };
}

/** The engine of source table `table` (`db.table` or the connection's database's). */
export async function sourceEngine(store: Store, table: string): Promise<SourceEngine> {
  const params: QueryParams = {};
  const [row] = await store.select<{ engine: string; engine_full: string }>(
    `SELECT engine, engine_full FROM system.tables WHERE ${systemTableWhere(table, params, 'name')}`,
    params,
    'source engine',
  );
  if (!row) return { engine: '' };
  if (row.engine !== 'Distributed') return { engine: row.engine };
  const distributed = parseDistributed(row.engine_full);
  if (!distributed) throw new ConfigError(`${table} is a Distributed table whose engine driftwatch cannot read (${row.engine_full}); change detection needs its cluster and shard table`);
  return { engine: row.engine, distributed };
}

/** The engine of source table `table`, and for a Distributed one, its shard tables checked (checkShardTables). */
export async function checkedSourceEngine(store: Store, table: string): Promise<SourceEngine> {
  const engine = await sourceEngine(store, table);
  if (engine.distributed) await checkShardTables(store, table, engine.distributed);
  return engine;
}

/** A ClickHouse string literal. */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Checks that every replica of the cluster holds the shard table with a MergeTree engine, whose parts system.parts
 * lists: a shard table of another engine (a View, another Distributed) has no parts to watch, so driftwatch would
 * never see its inserts.
 */
export async function checkShardTables(store: Store, source: string, target: DistributedTarget): Promise<void> {
  const cluster = stringLiteral(target.cluster);
  const params: QueryParams = target.database === '' ? { table: target.table } : { table: target.table, database: target.database };
  // One row per replica (an unreachable one fails the statement: skip_unavailable_shards is off by default).
  const [replicas] = await store.select<{ n: number }>(`SELECT count() AS n FROM clusterAllReplicas(${cluster}, system.one)`, {}, 'source cluster');
  const tables = await store.select<{ replica: number; engine: string }>(
    `SELECT _shard_num AS replica, engine FROM clusterAllReplicas(${cluster}, system.tables)
     WHERE name = {table:String}${target.database === '' ? '' : ' AND database = {database:String}'}`,
    params,
    'source shard tables',
  );
  const expected = Number(replicas?.n ?? 0);
  const found = new Set(tables.filter((t) => hasParts(t.engine)).map((t) => Number(t.replica)));
  if (found.size < expected) {
    const others = [...new Set(tables.filter((t) => !hasParts(t.engine)).map((t) => t.engine))];
    const where = target.database === '' ? target.table : `${target.database}.${target.table}`;
    throw new ConfigError(
      `${source} is a Distributed table over ${where} on cluster ${target.cluster}, which ${expected - found.size} of its ${expected} replicas do not hold as a MergeTree table${others.length > 0 ? ` (${others.join(', ')})` : ''}: driftwatch sees new rows by the shard tables' parts (system.parts), so they must be MergeTree tables`,
    );
  }
}
