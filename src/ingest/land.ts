// Lands each batch of a file in its table exactly once across runs, however an earlier run was stopped.
import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { quoteIdentifier as q } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { systemTableWhere, type ColumnInfo, type QueryParams, type Store } from '../store/index.js';
import { selectLarge, sendRows } from './calls.js';
import type { FileLedger, IngestLedger, LedgerEntry } from './ledger.js';
import type { Row } from './row.js';

/** Lines `firstLine`…`lastLine` of the file (1-based, inclusive) and their valid rows. */
export interface Batch {
  firstLine: number;
  lastLine: number;
  rows: Row[];
}

/** What the target table allows when judging a batch an earlier run left half-way. */
export interface TargetFacts {
  /** The transaction id column, when its values can be matched as text (String, LowCardinality(String), integers). */
  idColumn?: string;
  /** The id column is a String, so it can be compared as it is (an index on it still serves). */
  idIsText: boolean;
  /** The event or outcome time column, when DateTime or DateTime64: narrows the id lookup to the batch's time span. */
  timeColumn?: string;
  /** Inserts repeating an insert_deduplication_token are dropped (Replicated, or non_replicated_deduplication_window > 0). */
  deduplicates: boolean;
  /** A ReplacingMergeTree: identical rows sent twice collapse into one when parts merge. */
  replacing: boolean;
}

/** Reads the facts from the table's columns and its engine as system.tables gives them; never changes the table. */
export async function targetFacts(store: Store, config: Config, table: string, columns: readonly ColumnInfo[]): Promise<TargetFacts> {
  const names = table === config.tables.events ? config.columns.events : config.columns.outcomes;
  const timeName = table === config.tables.events ? config.columns.events.event_time : config.columns.outcomes.outcome_time;
  const id = columns.find((c) => c.name === names.transaction_id);
  const time = columns.find((c) => c.name === timeName);
  const idIsText = id !== undefined && /^(String|LowCardinality\(String\))$/.test(id.type);
  const idUsable = id !== undefined && (idIsText || /^U?Int(8|16|32|64)$/.test(id.type));

  const params: QueryParams = {};
  const [engine] = await store.select<{ engine: string; engine_full: string }>(
    `SELECT engine, engine_full FROM system.tables WHERE ${systemTableWhere(table, params, 'name')}`,
    params,
    'ingest: target engine',
  );
  const name = engine?.engine ?? '';
  const replicated = /^(Replicated|Shared)/.test(name);
  const key = replicated ? 'replicated_deduplication_window' : 'non_replicated_deduplication_window';
  // The table's own setting, else the server's default for MergeTree tables. `\b` keeps non_replicated_… from
  // matching replicated_… (the `_` before it is a word character).
  const own = new RegExp(`\\b${key}\\s*=\\s*(\\d+)`).exec(engine?.engine_full ?? '');
  const [fallback] = own ? [] : await store.select<{ value: string }>('SELECT value FROM system.merge_tree_settings WHERE name = {key:String}', { key }, 'ingest: deduplication default');
  const window = Number(own?.[1] ?? fallback?.value ?? 0);
  return {
    ...(idUsable ? { idColumn: id.name } : {}),
    idIsText,
    ...(time && /^DateTime(64)?(\(|$)/.test(time.type) ? { timeColumn: time.name } : {}),
    deduplicates: /MergeTree$/.test(name) && window > 0,
    replacing: /Replacing/.test(name),
  };
}

/**
 * Sends batches one at a time while the next is being read (parsing and inserting overlap, at most two batches
 * are held), each exactly once across runs of the same file:
 *
 * 1. A batch the ledger has as `landed` is not sent again.
 * 2. A new batch: count what the target already holds of its transaction ids (within its time span), record that
 *    in a `pending` ledger row, send the rows, record `landed`. Each step is a synchronous insert, done before
 *    the next starts, and the next batch starts after `landed`: a run stopped anywhere (SIGKILL included) leaves
 *    at most one batch `pending`, and that batch's rows either landed or not — per part: ClickHouse commits an
 *    insert one part per partition, each atomically, so a kill between two part commits leaves some partitions in.
 * 3. A `pending` batch (the next run): count the ids again. An id whose count grew by exactly its rows in the
 *    batch landed; one whose count did not grow did not; those rows are sent now. The difference is the batch's
 *    own doing as long as nothing else writes these transaction ids into the table in between, which is the one
 *    assumption (a transaction's rows in one batch land together unless they straddle partitions). Then the
 *    window between "rows landed" and "ledger says landed" is covered: the rows are found, not sent twice.
 * 4. An id that grew by some other amount cannot be attributed. The whole batch is then sent again under the
 *    token of its first attempt when the table drops repeated tokens (Replicated by default, MergeTree with
 *    non_replicated_deduplication_window > 0; per partition, so the parts that landed are dropped and the rest
 *    land — exact while the table still remembers the token) or collapses identical rows (ReplacingMergeTree);
 *    otherwise ingest stops and says which lines to check and how to go on.
 *
 * Deduplication tokens alone were not enough: ClickHouse forgets them (after N other inserts, or an hour for
 * Replicated tables), tables driftwatch did not create usually have no window for non-replicated MergeTree,
 * and driftwatch may not alter them. The id counts depend on neither.
 */
export class Lander {
  /** Rows this run sent and saw land. */
  loaded = 0;
  /** Rows an earlier run of the same file had landed. */
  alreadyLoaded = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly target: string,
    private readonly facts: TargetFacts,
    private readonly ledger: IngestLedger,
    private readonly known: FileLedger,
    private readonly batchRows: number,
    private readonly logger: Logger,
    private readonly progress: () => void,
  ) {}

  async send(batch: Batch): Promise<void> {
    await this.drain();
    if (batch.rows.length === 0) return;
    const pending = this.land(batch).then(() => this.progress());
    // Handled here so a failure while the next batch is read is not an unhandled rejection; drain() rethrows it.
    pending.catch(() => undefined);
    this.pending = pending;
  }

  async drain(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    await pending;
  }

  private async land(batch: Batch): Promise<void> {
    const entry = this.known.entries.get(batch.firstLine);
    if (entry?.state === 'landed') {
      this.alreadyLoaded += entry.rows;
      return;
    }
    if (entry?.state === 'pending') return this.resume(batch, entry);
    const ids = this.idsOf(batch.rows);
    const entryNew: LedgerEntry = {
      firstLine: batch.firstLine,
      lastLine: batch.lastLine,
      state: 'pending',
      rows: batch.rows.length,
      token: randomUUID(),
      idCounts: ids ? await this.held(batch, ids) : new Map(),
    };
    await this.ledger.record(this.batchRows, entryNew);
    await this.insert(batch.rows, entryNew.token);
    await this.landed(entryNew, batch.rows.length, 0);
  }

  /** A batch an earlier run recorded as pending: find which of its rows are in the table and send the rest. */
  private async resume(batch: Batch, entry: LedgerEntry): Promise<void> {
    const lines = `lines ${batch.firstLine}–${batch.lastLine}`;
    const ids = this.idsOf(batch.rows);
    if (ids) {
      const now = await this.held(batch, ids);
      const missing = new Set<string>();
      let unclear = 0;
      for (const [id, rows] of ids) {
        const grew = (now.get(id) ?? 0) - (entry.idCounts.get(id) ?? 0);
        // Fewer than before happens only when a ReplacingMergeTree merge collapsed rows: sending them again is harmless there.
        if (grew <= 0) missing.add(id);
        else if (grew !== rows) unclear++;
      }
      if (unclear === 0) {
        const rest = batch.rows.filter((row) => missing.has(this.idOf(row) as string));
        // All of it: the first attempt's token, so a table that kept it drops rows that did land after all.
        const token = rest.length === batch.rows.length ? entry.token : `${entry.token}-rest-${digest([...missing].sort().join('\n'))}`;
        await this.insert(rest, token);
        this.logger.info(
          { table: this.target, first: batch.firstLine, last: batch.lastLine, landed: batch.rows.length - rest.length, sent: rest.length },
          `${lines} were being sent when an earlier run stopped: ${batch.rows.length - rest.length} of their ${batch.rows.length} rows had landed, sent the other ${rest.length}`,
        );
        return this.landed(entry, rest.length, batch.rows.length - rest.length);
      }
    }
    if (this.facts.deduplicates || this.facts.replacing) {
      const why = this.facts.deduplicates ? 'the table drops rows repeating an insert token' : 'the table collapses identical rows (ReplacingMergeTree)';
      this.logger.warn({ table: this.target, first: batch.firstLine, last: batch.lastLine }, `${lines} were being sent when an earlier run stopped and which of their rows landed cannot be told from transaction ids; sent them again under their first token: ${why}`);
      await this.insert(batch.rows, entry.token);
      return this.landed(entry, batch.rows.length, 0);
    }
    throw new ConfigError(
      `${lines} of this file were being sent to ${this.target} when an earlier ingest stopped, and driftwatch cannot tell which of their ` +
        `${batch.rows.length} rows landed: the table does not deduplicate inserts, and ` +
        `${ids ? 'the counts of their transaction ids in it changed by other amounts than the batch holds (did something else write them?)' : 'it has no transaction id column of text or integers'}. ` +
        `Delete what landed of those lines from ${this.target}, then the batch's pending mark ` +
        `(DELETE FROM ${this.ledger.table} WHERE token = '${entry.token}'), and run the same command again`,
    );
  }

  private async landed(entry: LedgerEntry, sent: number, foundLanded: number): Promise<void> {
    await this.ledger.record(this.batchRows, { ...entry, state: 'landed', idCounts: new Map() });
    this.loaded += sent;
    this.alreadyLoaded += foundLanded;
    this.logger.debug({ table: this.target, first: entry.firstLine, last: entry.lastLine, rows: entry.rows }, `batch landed: lines ${entry.firstLine}–${entry.lastLine}`);
  }

  private async insert(rows: Row[], token: string): Promise<void> {
    await sendRows(this.store, this.target, rows, token, `ingest into ${this.target}`);
  }

  private idOf(row: Row): string | undefined {
    const value = this.facts.idColumn === undefined ? undefined : row[this.facts.idColumn];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }

  /** Rows per transaction id of the batch; undefined when the table has no usable id column or a row has no id. */
  private idsOf(rows: readonly Row[]): Map<string, number> | undefined {
    if (this.facts.idColumn === undefined) return undefined;
    const ids = new Map<string, number>();
    for (const row of rows) {
      const id = this.idOf(row);
      if (id === undefined) return undefined;
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    return ids;
  }

  /** Rows the table holds now per transaction id of the batch (ids with none left out), within the batch's time span. */
  private async held(batch: Batch, ids: Map<string, number>): Promise<Map<string, number>> {
    const idColumn = q(this.facts.idColumn as string);
    const conditions = [`${this.facts.idIsText ? idColumn : `toString(${idColumn})`} IN {ids:Array(String)}`];
    const params: Record<string, unknown> = { ids: [...ids.keys()] };
    const span = this.facts.timeColumn === undefined ? undefined : timeSpan(batch.rows, this.facts.timeColumn);
    // Exact, not a guess: rows of these ids outside the batch's span count the same before and after it is sent.
    if (span) {
      conditions.push(`${q(this.facts.timeColumn as string)} BETWEEN {lo:String} AND {hi:String}`);
      Object.assign(params, span);
    }
    const rows = await selectLarge<{ dw_id: string; dw_n: number }>(
      this.store,
      `SELECT toString(${idColumn}) AS dw_id, count() AS dw_n FROM ${this.target} WHERE ${conditions.join(' AND ')} GROUP BY dw_id`,
      params,
      'ingest: rows already in the table',
    );
    return new Map(rows.map((r) => [r.dw_id, Number(r.dw_n)]));
  }
}

/**
 * The earliest and latest time of the rows. Checked times are fixed-width UTC text (`YYYY-MM-DD hh:mm:ss[.f…]`, see
 * time.ts), so text order is time order. Undefined when a row has no text time (a null in a Nullable column).
 */
function timeSpan(rows: readonly Row[], column: string): { lo: string; hi: string } | undefined {
  let lo: string | undefined;
  let hi: string | undefined;
  for (const row of rows) {
    const value = row[column];
    if (typeof value !== 'string') return undefined;
    if (lo === undefined || value < lo) lo = value;
    if (hi === undefined || value > hi) hi = value;
  }
  return lo === undefined || hi === undefined ? undefined : { lo, hi };
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
