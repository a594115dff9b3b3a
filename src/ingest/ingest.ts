// Loads a JSON-lines file into the events or outcomes table: every valid row lands, every bad line is reported.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { describeTable, tableRef, type Store } from '../store/index.js';
import { allowedValues, rowValidator, type Row, type RowValidator } from './row.js';

export interface IngestOptions {
  /** The table as named in config: `tables.events` or `tables.outcomes`. */
  table: string;
  /** A file of JSON objects, one per line (JSONEachRow). */
  file: string;
  /** Rows per insert (default 50,000). */
  batchRows?: number;
  /** Called after each insert and at the end with the bytes of the file read so far and the file's size. */
  onProgress?: (done: number, total?: number) => void;
}

export interface IngestError {
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

export interface IngestSummary {
  table: string;
  /** Lines read, blank ones included (blank lines are neither loaded nor skipped). */
  lines: number;
  loaded: number;
  /** Lines refused; the first MAX_REPORTED_ERRORS of them are in `errors`. */
  skipped: number;
  errors: IngestError[];
  seconds: number;
}

export const DEFAULT_BATCH_ROWS = 50_000;
/** Errors kept in the summary: enough to fix a file by, bounded when a whole file is wrong. */
export const MAX_REPORTED_ERRORS = 1000;
/** Skipped lines logged one by one before the rest are only counted. */
const MAX_LOGGED_ERRORS = 20;

/**
 * Streams `file` line by line, checks each row against the table's real columns (DESIGN.md, "What a valid row is")
 * and inserts the valid ones in batches. Rows pass through Node here only because the user hands us a file.
 * Throws ConfigError for a table that is not events or outcomes, a missing table, or a file that cannot be read.
 */
export async function ingestFile(store: Store, config: Config, options: IngestOptions, logger: Logger = silentLogger): Promise<IngestSummary> {
  const started = performance.now();
  const { table, file } = options;
  const batchRows = Math.max(1, options.batchRows ?? DEFAULT_BATCH_ROWS);
  checkTable(config, table);
  const size = await fileSize(file);
  const validate = await validatorFor(store, config, table);
  const summary: IngestSummary = { table, lines: 0, loaded: 0, skipped: 0, errors: [], seconds: 0 };

  const input = createReadStream(file);
  let readError: unknown;
  input.on('error', (error) => {
    readError = error;
  });
  const reader = createInterface({ input, crlfDelay: Infinity });
  const inserter = new Inserter(store, tableRef(config, table), () => options.onProgress?.(input.bytesRead, size));
  let batch: Row[] = [];
  try {
    for await (const text of reader) {
      const line = ++summary.lines;
      // A byte-order mark would make the first line invalid JSON for no fault of its content.
      const content = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (content.trim() === '') continue;
      const result = validate(content);
      if (typeof result === 'string') {
        skip(summary, logger, line, result);
        continue;
      }
      batch.push(result);
      if (batch.length >= batchRows) {
        await inserter.send(batch);
        batch = [];
      }
    }
    await inserter.send(batch);
    await inserter.drain();
  } catch (error) {
    if (readError !== undefined && error === readError) throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
    logger.error({ table, file, loaded: inserter.loaded, line: summary.lines }, `ingest stopped: ${(error as Error).message}; ${inserter.loaded} rows had landed`);
    throw error;
  } finally {
    reader.close();
    input.destroy();
  }

  options.onProgress?.(size, size);
  summary.loaded = inserter.loaded;
  summary.seconds = Math.round(performance.now() - started) / 1000;
  if (summary.skipped > MAX_LOGGED_ERRORS) logger.warn({ table, file }, `… and ${summary.skipped - MAX_LOGGED_ERRORS} more skipped lines`);
  logger.info({ table, file, lines: summary.lines, loaded: summary.loaded, skipped: summary.skipped, seconds: summary.seconds }, `ingested ${summary.loaded} rows into ${table}, skipped ${summary.skipped}`);
  return summary;
}

function checkTable(config: Config, table: string): void {
  const { events, outcomes } = config.tables;
  if (table !== events && table !== outcomes) {
    throw new ConfigError(`cannot ingest into table ${JSON.stringify(table)}: choose ${events} (tables.events) or ${outcomes} (tables.outcomes)`);
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ConfigError(`cannot read ${file}: it is not a file; pass a JSON-lines file with --file`);
    return info.size;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new ConfigError(`cannot read ${file}: ${why}; pass an existing JSON-lines file with --file`, { cause: error });
  }
}

/** The row checks for the table as it really is in the store, renamed columns and all. */
async function validatorFor(store: Store, config: Config, table: string): Promise<RowValidator> {
  const columns = await describeTable(store, config, table);
  if (columns.length === 0) {
    throw new ConfigError(`table ${table} does not exist in ${store.location}; create it (check-config shows the expected schema) or fix tables in config`);
  }
  const [zone] = await store.select<{ tz: string }>('SELECT timezone() AS tz', {}, 'server timezone');
  return rowValidator(table, columns, allowedValues(config, table), { serverTimezone: zone?.tz ?? 'UTC' });
}

function skip(summary: IngestSummary, logger: Logger, line: number, reason: string): void {
  summary.skipped++;
  if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push({ line, reason });
  if (summary.skipped <= MAX_LOGGED_ERRORS) logger.warn({ table: summary.table, line }, `skipped line ${line}: ${reason}`);
}

/**
 * Sends batches one at a time while the next is being read: parsing and inserting overlap,
 * and at most two batches are held in memory.
 */
class Inserter {
  loaded = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly table: string,
    private readonly progress: () => void,
  ) {}

  async send(rows: Row[]): Promise<void> {
    await this.drain();
    if (rows.length === 0) return;
    const pending = this.store.insert(this.table, rows, `ingest into ${this.table}`).then(() => {
      this.loaded += rows.length;
      this.progress();
    });
    // Handled here so a failure while the next batch is read is not an unhandled rejection; drain() rethrows it.
    pending.catch(() => undefined);
    this.pending = pending;
  }

  async drain(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    await pending;
  }
}
