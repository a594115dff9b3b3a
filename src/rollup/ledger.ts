// The ledger of folded hours per rollup kind and fingerprint, and the insertion marks of the source tables.
import type { Config } from '../config/index.js';
import { foldedParams } from '../aggregates/sql.js';
import { chTime, tableRef, type QueryParams, type Store } from '../store/index.js';
import type { RollupKind } from './fingerprint.js';
import { ROLLUP_TABLES } from './schema.js';

export interface FoldedHour {
  version: number;
  /** Source rows of the hour the fold saw (all models and variants). */
  rows: number;
  /**
   * Label kinds: the latest outcome time (ms) among the outcomes the fold counted, 0 for none. A fold counts every
   * outcome the table holds, so a read as of `at` may use the hour only if this is before `at`.
   */
  settled: number;
}

/** The folded hours a read as of `at` may use: label kinds leave out hours that counted an outcome from `at` on. */
export function usableAt(ledger: Ledger, at: Date): Ledger {
  const t = at.getTime();
  for (const fold of ledger.values()) {
    if (fold.settled >= t) return new Map([...ledger].filter(([, f]) => f.settled < t));
  }
  return ledger;
}

/** Hour start (ms) → its current fold. */
export type Ledger = Map<number, FoldedHour>;

/** Fold versions: increasing across calls of one clock and across processes (microseconds since the epoch, bumped on ties). */
export class VersionClock {
  #last = 0;

  next(): number {
    this.#last = Math.max(this.#last + 1, Date.now() * 1000);
    return this.#last;
  }
}

/**
 * What a ledger write needs of the process's rollup state (RollupState): a fold version, and to drop the ledger
 * snapshot it keeps, before and after the write (a read that started meanwhile must not keep what it saw).
 */
export interface LedgerWrites {
  nextVersion(): number;
  ledgerWritten(): void;
}

/** Every ledger of the store in one read: folded hours per kind and fingerprint, and the insertion marks. */
export interface LedgerSnapshot {
  /** Folded hours of `kind` under `fingerprint` (empty when none). */
  ledger(kind: RollupKind, fingerprint: string): Ledger;
  /** Fingerprints each kind has hours under. */
  fingerprints: Map<string, Set<string>>;
  /** Highest insert block already looked at per source table; -1 before the first refresh. */
  marks: { events: number; outcomes: number };
  /** When superseded rollup rows were last swept (ms), 0 never. */
  sweptAt: number;
}

/** Every ledger of the store, read now (RollupState keeps the snapshot between the writes it makes). */
export async function readLedgers(store: Store, config: Config): Promise<LedgerSnapshot> {
  const rows = await store.select<{ kind: string; fingerprint: string; h: number; v: number; n: number; s: number }>(
    `SELECT kind, fingerprint, toUnixTimestamp(hour) AS h, max(version) AS v, argMax(rows, version) AS n, argMax(settled, version) AS s
     FROM ${tableRef(config, ROLLUP_TABLES.ledger)}
     GROUP BY kind, fingerprint, h`,
    {},
    'rollup ledger',
  );
  const ledgers = new Map<string, Ledger>();
  const fingerprints = new Map<string, Set<string>>();
  const marks = { events: -1, outcomes: -1 };
  let sweptAt = 0;
  for (const r of rows) {
    if (r.kind === 'mark:sweep') {
      sweptAt = Number(r.n);
      continue;
    }
    if (r.kind === 'mark:events' || r.kind === 'mark:outcomes') {
      marks[r.kind === 'mark:events' ? 'events' : 'outcomes'] = Number(r.n);
      continue;
    }
    const key = `${r.kind}\u0000${r.fingerprint}`;
    let ledger = ledgers.get(key);
    if (!ledger) {
      ledger = new Map();
      ledgers.set(key, ledger);
      fingerprints.set(r.kind, (fingerprints.get(r.kind) ?? new Set()).add(r.fingerprint));
    }
    ledger.set(Number(r.h) * 1000, { version: Number(r.v), rows: Number(r.n), settled: Number(r.s) });
  }
  return { ledger: (kind, fingerprint) => ledgers.get(`${kind}\u0000${fingerprint}`) ?? new Map(), fingerprints, marks, sweptAt };
}

/** One kind's folded hours under one fingerprint, read now. */
export async function loadLedger(store: Store, config: Config, kind: RollupKind, fingerprint: string): Promise<Ledger> {
  return (await readLedgers(store, config)).ledger(kind, fingerprint);
}

export async function recordFolds(
  store: Store,
  config: Config,
  writes: LedgerWrites,
  kind: RollupKind,
  fingerprint: string,
  folds: { hour: number; version: number; rows: number; settled: number }[],
): Promise<void> {
  const foldedAt = chTime(Date.now());
  writes.ledgerWritten();
  await store.insert(
    tableRef(config, ROLLUP_TABLES.ledger),
    folds.map((f) => ({ kind, fingerprint, hour: f.hour / 1000, version: f.version, rows: f.rows, settled: f.settled, folded_at: foldedAt })),
    'rollup ledger write',
  );
  writes.ledgerWritten();
}

/** Kinds whose ledger holds another fingerprint than the current one: their rollup is stale as a whole. */
export function staleKinds(snapshot: LedgerSnapshot, current: Record<RollupKind, string>): RollupKind[] {
  return (Object.keys(current) as RollupKind[]).filter((kind) => [...(snapshot.fingerprints.get(kind) ?? [])].some((f) => f !== current[kind]));
}

/**
 * Drops a kind's rollup rows and ledger entries, so it is folded again from scratch. The ledger goes first: the
 * ledger may never claim an hour whose rows are gone (RELIABILITY.md, "Rollup integrity"). A process killed
 * between the two leaves rows nobody reads (readers follow the ledger's versions); the next refresh empties them.
 */
export async function dropKind(store: Store, config: Config, writes: LedgerWrites, kind: RollupKind): Promise<void> {
  writes.ledgerWritten();
  await store.command(`DELETE FROM ${tableRef(config, ROLLUP_TABLES.ledger)} WHERE kind = {kind:String}`, { kind }, 'rollup ledger drop');
  writes.ledgerWritten();
  await store.command(`TRUNCATE TABLE IF EXISTS ${tableRef(config, ROLLUP_TABLES[kind])}`, {}, 'rollup truncate');
}

/**
 * Forgets the folded hours of `kinds` before `before`: hours a refresh cannot check against new outcomes (it looks
 * only inside its windows) must not be trusted by a later read. Their rows stay, unread; a read that needs the
 * hours again folds them afresh.
 */
export async function forgetHours(store: Store, config: Config, writes: LedgerWrites, kinds: readonly RollupKind[], before: number): Promise<void> {
  writes.ledgerWritten();
  await store.command(
    `DELETE FROM ${tableRef(config, ROLLUP_TABLES.ledger)} WHERE kind IN {kinds:Array(String)} AND hour < {before:DateTime64(3, 'UTC')}`,
    { kinds: [...kinds], before: chTime(before) },
    'rollup ledger forget',
  );
  writes.ledgerWritten();
}

/**
 * Deletes the rows of `kind` that a later fold of their hour superseded (a version below the ledger's for that
 * hour), in one DELETE. Rows of a fold still running elsewhere carry a newer version than the ledger's, so they
 * stay; readers never see superseded rows, which only take space and read time.
 */
export async function sweepSuperseded(store: Store, config: Config, kind: RollupKind, ledger: Ledger): Promise<void> {
  if (ledger.size === 0) return;
  const hours = [...ledger.keys()];
  const params: QueryParams = { hour_to: Math.max(...hours) / 1000 + 3600 };
  foldedParams('folded', ledger, hours, params);
  await store.command(
    `DELETE FROM ${tableRef(config, ROLLUP_TABLES[kind])}
     WHERE toUnixTimestamp(hour) >= {folded_base:UInt32} AND toUnixTimestamp(hour) < {hour_to:UInt32}
       AND version < {folded_versions:Array(UInt64)}[intDiv(toUnixTimestamp(hour) - {folded_base:UInt32}, 3600) + 1]`,
    params,
    'rollup drop superseded',
  );
}

/** Records that superseded rows were swept at `at` (ms). */
export async function saveSweep(store: Store, config: Config, writes: LedgerWrites, at: number): Promise<void> {
  await store.insert(tableRef(config, ROLLUP_TABLES.ledger), [{ kind: 'mark:sweep', fingerprint: '', hour: 0, version: writes.nextVersion(), rows: at, folded_at: chTime(at) }], 'rollup mark write');
}

/** Keeps the marks (the highest insert block looked at per source table), in one write. */
export async function saveMarks(store: Store, config: Config, writes: LedgerWrites, marks: { events: number; outcomes: number }): Promise<void> {
  const foldedAt = chTime(Date.now());
  await store.insert(
    tableRef(config, ROLLUP_TABLES.ledger),
    (['events', 'outcomes'] as const).map((table) => ({ kind: `mark:${table}`, fingerprint: '', hour: 0, version: writes.nextVersion(), rows: Math.max(0, marks[table]), folded_at: foldedAt })),
    'rollup mark write',
  );
  // Cached snapshots keep their folded hours; marks are read fresh by every refresh.
}
