// The ledger of folded hours per rollup kind and fingerprint, and the insertion marks of the source tables.
import type { Config } from '../config/index.js';
import { chTime, tableRef, type Store } from '../store/index.js';
import type { RollupKind } from './fingerprint.js';
import { ROLLUP_TABLES } from './schema.js';

export interface FoldedHour {
  version: number;
  /** Source rows of the hour the fold saw (all models and variants). */
  rows: number;
}

/** Hour start (ms) → its current fold. */
export type Ledger = Map<number, FoldedHour>;

let lastVersion = 0;

/** A fold version: increasing across calls and processes (microseconds since the epoch, bumped on ties). */
export function nextVersion(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
  return lastVersion;
}

export async function loadLedger(store: Store, config: Config, kind: RollupKind, fingerprint: string): Promise<Ledger> {
  const rows = await store.select<{ h: number; v: number; n: number }>(
    `SELECT toUnixTimestamp(hour) AS h, max(version) AS v, argMax(rows, version) AS n
     FROM ${tableRef(config, ROLLUP_TABLES.ledger)}
     WHERE kind = {kind:String} AND fingerprint = {fingerprint:String}
     GROUP BY h`,
    { kind, fingerprint },
    'rollup ledger',
  );
  return new Map(rows.map((r) => [Number(r.h) * 1000, { version: Number(r.v), rows: Number(r.n) }]));
}

export async function recordFolds(store: Store, config: Config, kind: RollupKind, fingerprint: string, folds: { hour: number; version: number; rows: number }[]): Promise<void> {
  const foldedAt = chTime(Date.now());
  await store.insert(
    tableRef(config, ROLLUP_TABLES.ledger),
    folds.map((f) => ({ kind, fingerprint, hour: f.hour / 1000, version: f.version, rows: f.rows, folded_at: foldedAt })),
    'rollup ledger write',
  );
}

/** Kinds whose ledger holds another fingerprint than the current one: their rollup is stale as a whole. */
export async function staleKinds(store: Store, config: Config, current: Record<RollupKind, string>): Promise<RollupKind[]> {
  const rows = await store.select<{ kind: string; fingerprint: string }>(
    `SELECT DISTINCT kind, fingerprint FROM ${tableRef(config, ROLLUP_TABLES.ledger)} WHERE NOT startsWith(kind, 'mark:')`,
    {},
    'rollup fingerprints',
  );
  return (Object.keys(current) as RollupKind[]).filter((kind) => rows.some((r) => r.kind === kind && r.fingerprint !== current[kind]));
}

/** Drops a kind's rollup rows and ledger entries, so it is folded again from scratch. */
export async function dropKind(store: Store, config: Config, kind: RollupKind): Promise<void> {
  await store.command(`TRUNCATE TABLE IF EXISTS ${tableRef(config, ROLLUP_TABLES[kind])}`, {}, 'rollup truncate');
  await store.command(`DELETE FROM ${tableRef(config, ROLLUP_TABLES.ledger)} WHERE kind = {kind:String}`, { kind }, 'rollup ledger drop');
}

/** The highest insert block number of a source table already looked at; -1 before the first refresh. */
export async function loadMark(store: Store, config: Config, table: 'events' | 'outcomes'): Promise<number> {
  const [row] = await store.select<{ mark: number | null }>(
    `SELECT argMax(rows, version) AS mark, count() AS n FROM ${tableRef(config, ROLLUP_TABLES.ledger)} WHERE kind = {kind:String}`,
    { kind: `mark:${table}` },
    'rollup mark',
  );
  return row && Number((row as { n?: number }).n) > 0 ? Number(row.mark) : -1;
}

export async function saveMark(store: Store, config: Config, table: 'events' | 'outcomes', mark: number): Promise<void> {
  await store.insert(
    tableRef(config, ROLLUP_TABLES.ledger),
    [{ kind: `mark:${table}`, fingerprint: '', hour: 0, version: nextVersion(), rows: Math.max(0, mark), folded_at: chTime(Date.now()) }],
    'rollup mark write',
  );
}
