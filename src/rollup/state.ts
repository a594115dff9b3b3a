// What the rollup keeps between cycles in one process, in one object its owner (daemon, run --once, a test) creates and hands down.
import type { FeatureEdges } from '../aggregates/types.js';
import type { Config } from '../config/index.js';
import type { Store } from '../store/index.js';
import { fingerprintOf, type RollupKind } from './fingerprint.js';
import { readLedgers, usableAt, VersionClock, type Ledger, type LedgerSnapshot, type LedgerWrites } from './ledger.js';
import { ensureRollupTables } from './schema.js';
import { PartRegistry, sourceParts, type SourcePart, type SourceParts } from './detect.js';
import { checkedSourceEngine, type SourceEngine } from '../store/distributed.js';
import { StripCache } from './strips.js';
import { WindowSums, type HourVersions } from './window-sums.js';

/** Running sums kept per question (and window count): one per window set a cycle asks that question for, a few at most. */
const SUMS_PER_QUESTION = 4;

interface Kept<T> {
  /** The last cycle that used it. */
  used: number;
  value: T;
}

/**
 * The rollup's state for one store and config: the ledger snapshot (kept until this process writes the ledger), the
 * fold version clock, whether the tables exist, and per question (its config fingerprint and arguments in the key)
 * the running window sums and the strip cache. Cycle sources (aggregates/source.ts) read through it; refreshRollup
 * writes through it. Nothing here is needed for a right answer, only for a fast one: a new state reads from cold.
 */
export class RollupState implements LedgerWrites {
  #cycle = 0;
  #ledger: Promise<LedgerSnapshot> | undefined;
  #tables: Promise<void> | undefined;
  readonly #clock = new VersionClock();
  readonly #sums = new Map<string, Kept<WindowSums>[]>();
  readonly #strips = new Map<string, Kept<StripCache>>();
  readonly #parts = new Map<string, { cycle: number; parts: Promise<SourcePart[]> }>();
  readonly #engines = new Map<string, { cycle: number; engine: Promise<SourceEngine> }>();
  readonly #registry = new PartRegistry();
  /**
   * Marks of the sources whose parts the registry numbers (SourceParts.ordered false): the highest number a refresh
   * has looked at, -1 before this process's first refresh. A block-numbered source's marks are in the ledger.
   */
  partMarks = { events: -1, outcomes: -1 };

  /** The current cycle's number (0 before the first). */
  get cycle(): number {
    return this.#cycle;
  }

  /**
   * Starts a cycle. Sums and strips no read used in the last cycle or this one are dropped (a model list or
   * config that changed, a window no longer asked), so the state holds what about one cycle reads.
   */
  beginCycle(): number {
    this.#cycle++;
    const stale = (k: Kept<unknown>) => k.used < this.#cycle - 1;
    for (const [key, pool] of this.#sums) {
      const live = pool.filter((k) => !stale(k));
      if (live.length > 0) this.#sums.set(key, live);
      else this.#sums.delete(key);
    }
    for (const [key, kept] of this.#strips) if (stale(kept)) this.#strips.delete(key);
    return this.#cycle;
  }

  /**
   * Every ledger of the store, read once and kept until this process writes the ledger again (a fold, a drop, a
   * forget): a cycle's reads after its refresh share one snapshot. `fresh` reads anew (a refresh always does, so
   * a ledger another process wrote is seen at the next cycle).
   */
  ledgers(store: Store, config: Config, fresh = false): Promise<LedgerSnapshot> {
    const kept = fresh ? undefined : this.#ledger;
    if (kept) return kept;
    const read = readLedgers(store, config);
    this.#ledger = read;
    // A failed read is not kept.
    read.catch(() => this.#ledger === read && (this.#ledger = undefined));
    return read;
  }

  /**
   * The folded hours of `kind` a read may use: under the config's fingerprint (the feature kind's with `edges`),
   * and with `at`, only hours whose every counted outcome came before it (usableAt).
   */
  async folded(store: Store, config: Config, kind: RollupKind, options: { at?: Date; edges?: readonly FeatureEdges[] } = {}): Promise<Ledger> {
    await this.ensureTables(store, config);
    const ledger = (await this.ledgers(store, config)).ledger(kind, fingerprintOf(config, kind, options.edges));
    return options.at ? usableAt(ledger, options.at) : ledger;
  }

  ledgerWritten(): void {
    this.#ledger = undefined;
  }

  nextVersion(): number {
    return this.#clock.next();
  }

  /** Creates the rollup tables once for this state (again after a failure). */
  ensureTables(store: Store, config: Config): Promise<void> {
    if (this.#tables) return this.#tables;
    const ensured = ensureRollupTables(store, config);
    this.#tables = ensured;
    ensured.catch(() => this.#tables === ensured && (this.#tables = undefined));
    return ensured;
  }

  /**
   * Running sums of question `key` that follow `target` (per window, the folded hours and their versions), so an
   * update loads only the hours that moved; else new ones while the question has fewer than SUMS_PER_QUESTION,
   * else the least recently used (rebuilt by the update).
   */
  windowSums(key: string, width: number, target: HourVersions[]): WindowSums {
    const pool = this.#sums.get(key) ?? [];
    this.#sums.set(key, pool);
    let chosen = pool.find((k) => k.value.follows(target));
    if (!chosen) {
      chosen = pool.length < SUMS_PER_QUESTION ? { used: 0, value: new WindowSums(target.length, width) } : pool.reduce((a, b) => (a.used <= b.used ? a : b));
      if (!pool.includes(chosen)) pool.push(chosen);
    }
    chosen.used = this.#cycle;
    return chosen.value;
  }

  /**
   * The active parts of source table `table`, listed once per cycle: the cycle's strip reads (PSI, labels, quality,
   * the sequential tests') share the list. A part landing after it is seen by the next cycle's reads, whose marks
   * are taken from their own list (a refresh lists parts of its own, every time).
   */
  parts(store: Store, config: Config, table: string): Promise<SourcePart[]> {
    const kept = this.#parts.get(table);
    if (kept && kept.cycle === this.#cycle) return kept.parts;
    const parts = this.listParts(store, table).then((listed) => listed.parts);
    this.#parts.set(table, { cycle: this.#cycle, parts });
    // A failed list is not kept.
    parts.catch(() => this.#parts.get(table)?.parts === parts && this.#parts.delete(table));
    return parts;
  }

  /**
   * The active parts of source table `table`, listed now (a refresh lists its own), numbered by this state's
   * registry where the source's block numbers do not tell what is new (src/rollup/detect.ts). The table's engine
   * (and a Distributed table's shard tables) is read once per cycle.
   */
  async listParts(store: Store, table: string): Promise<SourceParts> {
    let kept = this.#engines.get(table);
    if (!kept || kept.cycle !== this.#cycle) {
      const engine = checkedSourceEngine(store, table);
      kept = { cycle: this.#cycle, engine };
      this.#engines.set(table, kept);
      engine.catch(() => this.#engines.get(table)?.engine === engine && this.#engines.delete(table));
    }
    return sourceParts(store, table, this.#registry, await kept.engine);
  }

  /** The strip cache of question `key`. */
  stripCache(key: string): StripCache {
    let kept = this.#strips.get(key);
    if (!kept) {
      kept = { used: 0, value: new StripCache() };
      this.#strips.set(key, kept);
    }
    kept.used = this.#cycle;
    return kept.value;
  }
}
