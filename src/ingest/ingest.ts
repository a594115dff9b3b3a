// Loads a JSON-lines file into the events or outcomes table: every valid row lands, every bad line is reported.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { createOwnTable, describeTable, sourceRef, type ColumnInfo, type Store } from '../store/index.js';
import { Lander, targetFacts, type Batch } from './land.js';
import { IngestLedger, ingestLedgerDdl } from './ledger.js';
import { allowedValues, rowValidator, type RowValidator } from './row.js';

export interface IngestOptions {
  /** The table as named in config: `tables.events` or `tables.outcomes`. */
  table: string;
  /** A file of JSON objects, one per line (JSONEachRow). */
  file: string;
  /**
   * Lines per insert (default 50,000): batch k is lines k·n+1 … (k+1)·n, blank and bad ones included, so the same
   * file is cut the same way on every run. A file an earlier run started keeps the batch size it started with.
   */
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
  /** Rows this run sent. */
  loaded: number;
  /** Rows an earlier run of the same file (by content) into the same table had landed: not sent again. */
  alreadyLoaded: number;
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
 * Streams `file` line by line, checks each row against the table's real columns (docs/architecture.md, "Contracts")
 * and inserts the valid ones in batches. Rows pass through Node here only because the user hands us a file.
 * Re-runnable: a batch that landed is never sent again, so the same call after a crash (or a finished run)
 * lands each line once; how is in land.ts. Every line is still read and checked, so every run reports the same bad lines.
 * Throws ConfigError for a table that is not events or outcomes, a missing table, or a file that cannot be read.
 */
export async function ingestFile(store: Store, config: Config, options: IngestOptions, logger: Logger = silentLogger): Promise<IngestSummary> {
  const started = performance.now();
  const { table, file } = options;
  checkTable(config, table);
  const size = await fileSize(file);
  const columns = await tableColumns(store, config, table);
  const validate = await validatorFor(store, config, table, columns);
  const target = sourceRef(table);
  const facts = await targetFacts(store, config, table, columns);
  await createOwnTable(store, config, ingestLedgerDdl(config));
  const ledger = new IngestLedger(store, config, target, await fileDigest(file), resolve(file));
  const known = await ledger.read();
  const requested = Math.max(1, options.batchRows ?? DEFAULT_BATCH_ROWS);
  // The same lines must form the same batches, or the ledger's account would not match them.
  const batchRows = known.batchRows ?? requested;
  if (batchRows !== requested) logger.info({ table, file, batchRows, requested }, `this file was started with batches of ${batchRows} lines; keeping them`);
  const landedBefore = [...known.entries.values()].filter((e) => e.state === 'landed');
  if (landedBefore.length > 0) {
    const rows = landedBefore.reduce((sum, e) => sum + e.rows, 0);
    logger.info({ table, file, batches: landedBefore.length, rows }, `resuming: ${rows} rows of this file had landed in ${table} in an earlier run; they are not sent again`);
  }
  if (facts.idColumn === undefined && !facts.deduplicates && !facts.replacing) {
    logger.warn({ table }, `${table} neither deduplicates inserts nor has a transaction id column of text or integers: if this run is killed mid-batch, the next one cannot tell whether that batch landed and stops to say so`);
  }
  const summary: IngestSummary = { table, lines: 0, loaded: 0, alreadyLoaded: 0, skipped: 0, errors: [], seconds: 0 };

  const input = createReadStream(file);
  let readError: unknown;
  input.on('error', (error) => {
    readError = error;
  });
  const reader = createInterface({ input, crlfDelay: Infinity });
  const lander = new Lander(store, target, facts, ledger, known, batchRows, logger, () => options.onProgress?.(input.bytesRead, size));
  let batch: Batch = { firstLine: 1, lastLine: 0, rows: [] };
  try {
    for await (const text of reader) {
      const line = ++summary.lines;
      // A byte-order mark would make the first line invalid JSON for no fault of its content.
      const content = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (content.trim() !== '') {
        const result = validate(content);
        if (typeof result === 'string') skip(summary, logger, line, result);
        else batch.rows.push(result);
      }
      if (line % batchRows === 0) {
        batch.lastLine = line;
        await lander.send(batch);
        batch = { firstLine: line + 1, lastLine: line, rows: [] };
      }
    }
    batch.lastLine = summary.lines;
    await lander.send(batch);
    await lander.drain();
  } catch (error) {
    if (readError !== undefined && error === readError) throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
    // A ConfigError says itself what to do first; anything else (the store gone, the process stopped) only needs a re-run.
    const again = error instanceof ConfigError ? '' : '. Run the same command again to load the rest: batches that landed are not sent twice';
    logger.error({ table, file, loaded: lander.loaded, line: summary.lines }, `ingest stopped: ${(error as Error).message}; ${lander.loaded} rows had landed${again}`);
    throw error;
  } finally {
    reader.close();
    input.destroy();
  }

  options.onProgress?.(size, size);
  summary.loaded = lander.loaded;
  summary.alreadyLoaded = lander.alreadyLoaded;
  summary.seconds = Math.round(performance.now() - started) / 1000;
  if (summary.skipped > MAX_LOGGED_ERRORS) logger.warn({ table, file }, `… and ${summary.skipped - MAX_LOGGED_ERRORS} more skipped lines`);
  logger.info(
    { table, file, lines: summary.lines, loaded: summary.loaded, alreadyLoaded: summary.alreadyLoaded, skipped: summary.skipped, seconds: summary.seconds },
    `ingested ${summary.loaded} rows into ${table}${summary.alreadyLoaded > 0 ? ` (${summary.alreadyLoaded} more had landed in an earlier run)` : ''}, skipped ${summary.skipped}`,
  );
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

/** The table's columns as the store describes them; a missing table is a config error. */
async function tableColumns(store: Store, config: Config, table: string): Promise<ColumnInfo[]> {
  const columns = await describeTable(store, table);
  if (columns.length === 0) {
    throw new ConfigError(`table ${table} does not exist in ${store.location}; create it (check-config shows the expected schema) or fix tables in config`);
  }
  return columns;
}

/** The row checks for the table as it really is in the store, renamed columns and all. */
async function validatorFor(store: Store, config: Config, table: string, columns: ColumnInfo[]): Promise<RowValidator> {
  const [zone] = await store.select<{ tz: string }>('SELECT timezone() AS tz', {}, 'server timezone');
  return rowValidator(table, columns, allowedValues(config, table), { serverTimezone: zone?.tz ?? 'UTC' });
}

/**
 * The file's identity in the ledger: the SHA-256 of its bytes, so a renamed or copied file is still the same file
 * and an edited one is a new one. One extra read; hashing runs at several hundred MB/s, far above insert speed.
 */
async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return hash.digest('hex');
}

function skip(summary: IngestSummary, logger: Logger, line: number, reason: string): void {
  summary.skipped++;
  if (summary.errors.length < MAX_REPORTED_ERRORS) summary.errors.push({ line, reason });
  if (summary.skipped <= MAX_LOGGED_ERRORS) logger.warn({ table: summary.table, line }, `skipped line ${line}: ${reason}`);
}
