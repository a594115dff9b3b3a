// The ingest ledger: which batches of which file have landed in which table, so a re-run sends each batch once.
import type { Config } from '../config/index.js';
import { tableRef, type Store } from '../store/index.js';
import { sendRows } from './calls.js';

export const INGEST_LEDGER_TABLE = 'driftwatch_ingest_ledger';

/**
 * One row per step of a batch: `pending` before its rows are sent (with the token they are sent under and what the
 * target already held of the batch's transaction ids), `landed` once they are in. Rows are only ever added;
 * a batch's state is the furthest step it reached. A batch is lines `first_line`…`last_line` of the file whose
 * bytes hash to `file_sha256`, cut every `batch_rows` lines.
 */
export function ingestLedgerDdl(config: Config): string {
  return `CREATE TABLE IF NOT EXISTS ${tableRef(config, INGEST_LEDGER_TABLE)} (
  target      String,
  file_sha256 String,
  batch_rows  UInt64,
  first_line  UInt64,
  last_line   UInt64,
  state       LowCardinality(String),
  rows        UInt64,
  token       String,
  id_counts   Map(String, UInt64),
  file        String,
  at          DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (target, file_sha256, first_line)`;
}

/** What an earlier run recorded about one batch. */
export interface LedgerEntry {
  firstLine: number;
  lastLine: number;
  state: 'pending' | 'landed';
  /** Valid rows of the batch. */
  rows: number;
  /** The insert_deduplication_token its rows were sent under. */
  token: string;
  /** Rows the target held, before the batch was sent, per transaction id of the batch (ids with none left out). */
  idCounts: Map<string, number>;
}

/** A file's batches as the ledger has them, keyed by first line. */
export interface FileLedger {
  /** Lines per batch the file was cut in by its first run; a resumed file keeps them. */
  batchRows: number | undefined;
  entries: Map<number, LedgerEntry>;
}

interface LedgerRow {
  batch_rows: number;
  first_line: number;
  last_line: number;
  state: string;
  rows: number;
  token: string;
  id_counts: Record<string, number>;
}

/** The ledger of one file (by content) in one target table. */
export class IngestLedger {
  readonly table: string;

  constructor(
    private readonly store: Store,
    config: Config,
    readonly target: string,
    readonly fileSha256: string,
    private readonly file: string,
  ) {
    this.table = tableRef(config, INGEST_LEDGER_TABLE);
  }

  async read(): Promise<FileLedger> {
    const rows = await this.store.select<LedgerRow>(
      `SELECT batch_rows, first_line, last_line, state, rows, token, id_counts FROM ${this.table}
       WHERE target = {target:String} AND file_sha256 = {sha:String} ORDER BY at, state`,
      { target: this.target, sha: this.fileSha256 },
      'ingest ledger',
    );
    const entries = new Map<number, LedgerEntry>();
    let batchRows: number | undefined;
    for (const row of rows) {
      batchRows = row.batch_rows;
      const known = entries.get(row.first_line);
      // The first pending row holds what the target had before the first attempt: later attempts add no pending row.
      if (known && (known.state === 'landed' || row.state !== 'landed')) continue;
      entries.set(row.first_line, {
        firstLine: row.first_line,
        lastLine: row.last_line,
        state: row.state === 'landed' ? 'landed' : 'pending',
        rows: row.rows,
        token: known?.token ?? row.token,
        idCounts: known?.idCounts ?? new Map(Object.entries(row.id_counts).map(([id, n]) => [id, Number(n)])),
      });
    }
    return { batchRows, entries };
  }

  /** Records a step; it has happened once this returns (a synchronous insert, committed before the answer). */
  async record(batchRows: number, entry: LedgerEntry): Promise<void> {
    const row = {
      target: this.target,
      file_sha256: this.fileSha256,
      batch_rows: batchRows,
      first_line: entry.firstLine,
      last_line: entry.lastLine,
      state: entry.state,
      rows: entry.rows,
      token: entry.token,
      id_counts: Object.fromEntries(entry.idCounts),
      file: this.file,
    };
    await sendRows(this.store, this.table, [row], undefined, `ingest ledger (${entry.state})`);
  }
}
