// The one database client: embedded ClickHouse (chdb) by default, a remote server when store.url is set.
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, ClickHouseError, type ClickHouseClient, type ClickHouseClientConfigOptions, type ClickHouseSettings } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../config/index.js';
import { ConfigError, StoreQueryError, StoreStalledError, StoreUnreachableError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { withRetries as retrying } from '../retry.js';
import {
  boundSettings,
  classifyStall,
  diskOf,
  diskTooFull,
  engineFailure,
  engineLimitMs,
  firstLine,
  formatBytes,
  MIN_RESERVATION,
  mutationTarget,
  parseTableRef,
  pathInMessage,
  seconds,
  shorten,
  StallProbe,
  statementBounds,
  timeoutSetting,
  writesToDisk,
  writeTarget,
  type DiskRow,
  type EngineFailure,
  type MutationRow,
  type StatementBounds,
  type TableTarget,
} from './bounds.js';
import { lockStore, type StoreLock } from './lock.js';
import { distributedSettings } from './distributed.js';

export type StoreKind = 'embedded' | 'remote';
export type QueryParams = Record<string, unknown>;

export interface Store {
  readonly kind: StoreKind;
  /** Where the data lives, safe to log: a path, or the URL without credentials. */
  readonly location: string;
  readonly client: ClickHouseClient;
  /** Runs a SELECT and returns its rows as objects (64-bit integers as numbers). */
  select<T>(sql: string, params?: QueryParams, name?: string): Promise<T[]>;
  /** Runs a statement that returns no rows (DDL, INSERT … SELECT). */
  command(sql: string, params?: QueryParams, name?: string): Promise<void>;
  /** Inserts rows (JSONEachRow) into a table. */
  insert(table: string, rows: readonly object[], name?: string): Promise<void>;
  /** Answers when the store can run a query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Settings sent with every request: 64-bit integers as JSON numbers, over HTTP and embedded alike. */
const SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 0 };

/**
 * The outcome lookups (`transaction_id IN (SELECT … FROM the events read)`) give the engine a set of every id read;
 * by default it also analyses the outcome table's index with that set, which at a fold's ~2M ids took 9.5 s of a
 * 10 s statement (0.75 s without: docs/architecture.md, "Reads"). Ids of a time range are spread over an id-ordered
 * table, so the index rarely prunes: sets over this size skip it. The embedded engine takes it with every query; a
 * server in the fold statements (queries/rollup_fold_*.sql) only, the costly ones: settings given to the client
 * go with every request, health checks included, and the old server of the network-fault tests does not know it.
 */
export const LARGE_IN_SET = 100_000;

/**
 * The embedded engine's settings on every statement: the large-IN rule above, and no `optimize_and_compare_chain`.
 * That rewrite (constants propagated along AND chains) hashes the query tree node by node; on the shadow query, whose
 * filters compare columns with parameters only, so it never folds anything, it took about half of the query's
 * planning: 0.30–0.42 s with it, 0.16–0.24 s without, at any size (docs/architecture.md, "Planning cost"). It only
 * adds comparisons a filter already implies, so leaving it out changes no result. It is not sent to a server (an older one rejects an unknown setting on every request):
 * operations.md says how to set it in the driftwatch user's profile.
 */
const EMBEDDED_SETTINGS: ClickHouseSettings = { use_index_for_in_with_subqueries_max_values: String(LARGE_IN_SET), optimize_and_compare_chain: 0 };

/** Socket-level failures that mean "not reachable", as opposed to "the query is wrong". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** The URL as it may be shown: no user info, no query string. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function isUnreachable(error: unknown): boolean {
  // The engine's own errors are answers, not network failures ("Timeout exceeded" is a statement past its limit).
  // chdb throws its own copy of ClickHouseError, which instanceof does not recognise: the numeric code does.
  if (error instanceof ClickHouseError || engineFailure(error)) return false;
  const e = error as { code?: string; cause?: { code?: string }; message?: string };
  const code = e?.code ?? e?.cause?.code;
  if (code && UNREACHABLE_CODES.has(code)) return true;
  return /timeout|socket hang up|ECONNREFUSED|ECONNRESET/i.test(e?.message ?? '');
}

/** Routes the client's own logging through driftwatch's logger, without stack traces on the console. */
function clientLoggerClass(logger: Logger) {
  return class {
    trace() {}
    debug(p: { message: string }) {
      logger.debug({ module: 'clickhouse' }, p.message);
    }
    info(p: { message: string }) {
      logger.debug({ module: 'clickhouse' }, p.message);
    }
    warn(p: { message: string; err?: Error }) {
      logger.debug({ module: 'clickhouse', err: p.err?.message }, p.message);
    }
    error(p: { message: string; err: Error }) {
      logger.debug({ module: 'clickhouse', err: p.err?.message }, p.message);
    }
  };
}

export function openStore(config: Config, logger: Logger = silentLogger, env: NodeJS.ProcessEnv = process.env): Store {
  const { store } = config;
  const log = { LoggerClass: clientLoggerClass(logger) };
  const bounds = statementBounds(store.statementTimeout);
  if (store.url) {
    const settings = { ...SETTINGS, ...boundSettings(bounds, 'remote'), ...distributedSettings(config) };
    const client = remoteClient(store.url, {
      url: store.url,
      username: store.user,
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database: store.database,
      request_timeout: store.requestTimeout,
      clickhouse_settings: settings,
      application: 'driftwatch',
      log,
      ...(store.tls?.caCert ? { tls: { ca_cert: readConfigFile(store.tls.caCert, 'store.tls.caCert') } } : {}),
    });
    return new ClientStore('remote', redactUrl(store.url), client, store.retries, bounds, settings);
  }
  const path = resolve(store.path);
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new ConfigError(`store.path ${path} cannot be used as the data directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a directory driftwatch may create and write`, { cause: error });
  }
  // One process per embedded store: another live holder is exit 6 at once, before the engine is touched (store/lock.ts).
  const lock = lockStore(path);
  // chdb types its connection against @clickhouse/client-common 1.23.0, the client bundles 1.23.1's copy of the
  // same interface; the runtime contract is identical, so the one cast lives here.
  let connection: ClickHouseClientConfigOptions['connection'];
  try {
    connection = createChdbConnection({ path }) as unknown as ClickHouseClientConfigOptions['connection'];
  } catch (error) {
    lock.release();
    throw error;
  }
  // Settings given to the client go with every request, so the callers that use store.client directly are bounded too.
  const settings = { ...SETTINGS, ...EMBEDDED_SETTINGS, ...boundSettings(bounds, 'embedded'), ...distributedSettings(config) };
  const client = createClient({ connection, clickhouse_settings: settings, log });
  return new ClientStore('embedded', path, client, 0, bounds, settings, lock);
}

/** The client for store.url; what the client refuses in it (unknown URL parameters, …) is a config error. */
function remoteClient(url: string, settings: ClickHouseClientConfigOptions): ClickHouseClient {
  try {
    return createClient(settings);
  } catch (error) {
    // The client's words may quote the URL or the password: only the redacted URL is shown.
    let reason = firstLine((error as Error)?.message ?? String(error)).split(url).join(redactUrl(url));
    if (settings.password) reason = reason.split(settings.password).join('***');
    throw new ConfigError(`store.url ${redactUrl(url)} is not usable: ${reason}`, { cause: error });
  }
}

/** A file named in config; a missing or unreadable one is a config error naming the key. */
function readConfigFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a readable PEM file`, { cause: error });
  }
}

/** What a statement was about, for explaining its failure. */
interface StatementContext {
  sql?: string;
  /** The table an insert writes (as written: maybe `db`.`table`). */
  table?: string;
  /** The table whose mutation the statement waits for, and the mutations pending there before it was sent. */
  mutation?: TableTarget;
  before?: ReadonlySet<string>;
}

/** What became of a mutation statement that failed: its own mutations (cancelled), the ones ahead of it, the disk. */
interface MutationOutcome {
  ours: MutationRow[];
  ahead: MutationRow[];
  killed: boolean;
  tooFull: ReturnType<typeof diskTooFull>;
}

interface FullDisk {
  path: string;
  free: number | undefined;
}

class ClientStore implements Store {
  private readonly probe: StallProbe;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly kind: StoreKind,
    readonly location: string,
    readonly client: ClickHouseClient,
    private readonly retries: number,
    private readonly bounds: StatementBounds,
    settings: ClickHouseSettings,
    /** The embedded store's directory lock, released when the store closes. */
    private readonly lock?: StoreLock,
  ) {
    // The diagnosis reads system tables and takes milliseconds; it gets a short bound of its own.
    const probeMs = Math.min(10_000, Math.max(2_000, bounds.timeoutMs));
    this.probe = new StallProbe(client, { ...settings, max_execution_time: probeMs / 1000 }, probeMs);
  }

  async select<T>(sql: string, params: QueryParams = {}, name = 'select'): Promise<T[]> {
    return this.inTurn(() =>
      this.withRetries(name, true, { sql }, async (signal) => {
        const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow', abort_signal: signal });
        return (await result.json()) as T[];
      }),
    );
  }

  async command(sql: string, params: QueryParams = {}, name = 'command'): Promise<void> {
    await this.inTurn(async () => {
      const mutation = mutationTarget(sql);
      // What is pending on the table now is not this statement's: after a failure, anything newer is, and is cancelled.
      const before = mutation ? await this.pendingMutations(mutation) : undefined;
      await this.withRetries(name, false, { sql, mutation, before }, (signal) => this.client.command({ query: sql, query_params: params, abort_signal: signal }));
    });
  }

  async insert(table: string, rows: readonly object[], name = `insert into ${table}`): Promise<void> {
    if (rows.length === 0) return;
    // An empty token says "none": the embedded engine's connection keeps a setting sent with one request for the
    // next (chdb applies settings as SETs), so an earlier insert's token would otherwise drop these rows as a repeat.
    // A server applies settings per request (and an old one may not know the setting): nothing is sent there.
    const settings = this.kind === 'embedded' ? { clickhouse_settings: { insert_deduplication_token: '' } } : {};
    await this.inTurn(() => this.withRetries(name, false, { table }, (signal) => this.client.insert({ table, values: rows as object[], format: 'JSONEachRow', ...settings, abort_signal: signal })));
  }

  /**
   * The embedded engine runs one statement at a time on its connection, so a statement sent while another runs
   * waits inside the engine, and its backstop would count that wait. Taking turns here starts each statement's
   * clock when the engine starts it; nothing is slower, since the engine would queue them anyway.
   */
  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    if (this.kind !== 'embedded') return run();
    const result = this.turn.then(run, run);
    this.turn = result.catch(() => undefined);
    return result;
  }

  async ping(): Promise<boolean> {
    try {
      await this.select('SELECT 1', {}, 'ping');
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.client.close().finally(() => this.lock?.release());
  }

  /** Reads are retried on connection failures; writes only when the server was never reached. */
  private async withRetries<T>(name: string, idempotent: boolean, context: StatementContext, run: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    let started = Date.now();
    let signal: AbortSignal | undefined;
    const retryIf = (error: unknown) => !signal?.aborted && isUnreachable(error) && (idempotent || (error as { code?: string }).code === 'ECONNREFUSED');
    try {
      return await retrying({ retries: this.retries, baseMs: 200, retryIf }, () => {
        started = Date.now();
        // The embedded engine answers from a worker thread; past the backstop driftwatch stops waiting for it.
        // A remote store has store.requestTimeout for the same purpose.
        signal = this.kind === 'embedded' ? AbortSignal.timeout(this.bounds.backstopMs) : undefined;
        return run(signal);
      });
    } catch (error) {
      if (signal?.aborted) throw this.abandoned(name, started, error);
      throw await this.explain(name, error, Date.now() - started, context);
    }
  }

  private async explain(name: string, error: unknown, elapsedMs: number, context: StatementContext): Promise<Error> {
    if (isUnreachable(error)) {
      const e = error as { code?: string; message?: string };
      const reason = e.code ?? e.message ?? 'unknown error';
      return new StoreUnreachableError(
        `ClickHouse at ${this.location} is unreachable (${reason}); check store.url, that the server is running and reachable, and store.requestTimeout`,
        { cause: error },
      );
    }
    const failure = engineFailure(error);
    if (this.kind === 'embedded') await this.drain();
    let stall = classifyStall(failure);
    // On a full disk the engine does not always say so: CREATE TABLE may leave an empty metadata file behind and
    // the next statement fail with "There is no metadata of table". A write failing on a disk that has less
    // free than the engine's smallest reservation is put down to the disk, with the engine's words kept.
    let full: FullDisk | undefined;
    if (failure && !stall && (context.table !== undefined || (context.sql !== undefined && writesToDisk(context.sql)))) {
      const disk = await this.diskFor(failure, context);
      if (disk && disk.unreserved_space < MIN_RESERVATION) {
        stall = 'diskFull';
        full = { path: disk.path, free: disk.unreserved_space };
      }
    }
    if (!failure || !stall) {
      const message = failure?.message ?? firstLine((error as Error)?.message ?? String(error));
      return new StoreQueryError(name, message + this.constraintHint(failure), failure?.code, { cause: error });
    }
    const mutation = context.mutation ? await this.settleMutation(context.mutation, context.before) : undefined;
    if (stall === 'diskFull' || mutation?.tooFull) {
      const disk = mutation?.tooFull ? { path: mutation.tooFull.disk.path, free: mutation.tooFull.disk.unreserved_space } : (full ?? (await this.fullDisk(failure, context)));
      return new StoreStalledError(name, this.diskFullMessage(disk, failure, stall, elapsedMs, mutation), failure.code, { reason: 'diskFull', diskPath: disk.path }, { cause: error });
    }
    const message = context.mutation && stall !== 'lock' ? this.mutationMessage(stall, failure, elapsedMs, context.mutation, mutation) : this.timeoutMessage(stall, failure, elapsedMs);
    const reason = stall === 'mutation' || (mutation?.ahead.length ?? 0) > 0 ? 'mutation' : 'timeout';
    return new StoreStalledError(name, message, failure.code, { reason }, { cause: error });
  }

  /**
   * chdb hands the rows a failed query had already produced to the next query on the connection (seen
   * with chdb 3.4 / ClickHouse 26.7: a SELECT stopped by its time limit prefixes its partial rows to the
   * next result). One throwaway statement takes them before the diagnosis or the next caller reads them.
   */
  private async drain(): Promise<void> {
    await this.client.command({ query: 'SELECT 1', abort_signal: AbortSignal.timeout(this.bounds.backstopMs) }).catch(() => undefined);
  }

  /** Ids of the table's unfinished mutations; undefined when they cannot be read (then nothing is cancelled). */
  private async pendingMutations(target: TableTarget): Promise<ReadonlySet<string> | undefined> {
    try {
      return new Set((await this.probe.unfinishedMutations(target)).map((m) => m.mutation_id));
    } catch {
      if (this.kind === 'embedded') await this.drain();
      return undefined;
    }
  }

  /**
   * After a mutation statement failed: cancels the mutation it created, so that nothing of a failed
   * statement runs later nor holds up the next one (the engine would otherwise keep it queued), and finds
   * what held it: a mutation ahead of it, or a disk too full for the engine to start it.
   */
  private async settleMutation(target: TableTarget, before: ReadonlySet<string> | undefined): Promise<MutationOutcome | undefined> {
    try {
      const pending = await this.probe.unfinishedMutations(target);
      const ours = before ? pending.filter((m) => !before.has(m.mutation_id)) : [];
      const ahead = pending.filter((m) => !ours.includes(m));
      const first = ours[0];
      let killed = false;
      if (first) {
        await this.probe.killMutations(first.database, first.table, ours.map((m) => m.mutation_id));
        killed = true;
      }
      const table = pending[0];
      const names = [...new Set(pending.flatMap((m) => m.parts_to_do_names))];
      const tooFull = table && names.length > 0 ? diskTooFull(await this.probe.parts(table.database, table.table, names), await this.probe.disks()) : undefined;
      return { ours, ahead, killed, tooFull };
    } catch {
      if (this.kind === 'embedded') await this.drain();
      return undefined;
    }
  }

  /** The disk an engine's "no space" error is about, with a fallback when the disks cannot be read. */
  private async fullDisk(failure: EngineFailure, context: StatementContext): Promise<FullDisk> {
    const disk = await this.diskFor(failure, context);
    if (disk) return { path: disk.path, free: disk.unreserved_space };
    return { path: pathInMessage(failure.message) ?? (this.kind === 'embedded' ? this.location : 'the server data path'), free: undefined };
  }

  /** The disk a failed statement wrote to: the file its error names, else its table's, else the fullest disk. */
  private async diskFor(failure: EngineFailure, context: StatementContext): Promise<DiskRow | undefined> {
    const named = pathInMessage(failure.message);
    try {
      const disks = await this.probe.disks();
      let disk: DiskRow | undefined = named ? diskOf(named, disks) : undefined;
      const target = context.mutation ?? (context.table ? parseTableRef(context.table) : context.sql ? writeTarget(context.sql) : undefined);
      if (!disk && target) disk = (await this.probe.dataPaths(target)).map((path) => diskOf(path, disks)).find((d) => d !== undefined);
      return disk ?? [...disks].sort((a, b) => a.unreserved_space - b.unreserved_space)[0];
    } catch {
      if (this.kind === 'embedded') await this.drain();
      return undefined;
    }
  }

  private where(path: string): string {
    return this.kind === 'remote' ? `${path} on ${this.location}` : path;
  }

  private diskFullMessage(disk: FullDisk, failure: EngineFailure, stall: string, elapsedMs: number, mutation: MutationOutcome | undefined): string {
    const free = disk.free === undefined ? '' : `${formatBytes(disk.free)} free; `;
    const tooFull = mutation?.tooFull;
    const cause = tooFull
      ? `the mutation needs ${formatBytes(tooFull.needs)} to rewrite part ${tooFull.part.name}, so ClickHouse never started it, and the statement ${stall === 'timeout' ? `timed out after ${seconds(elapsedMs)} (${timeoutSetting(this.bounds)})` : `failed (${shorten(failure.message)})`}`
      : `ClickHouse: ${shorten(failure.message)}`;
    const cancelled = mutation?.killed ? `; its mutation ${mutation.ours.map((m) => m.mutation_id).join(', ')} was cancelled (KILL MUTATION), so nothing of it runs later` : '';
    const fix = this.kind === 'embedded' ? 'free space on that disk (or move store.path to a larger one)' : "free space on the ClickHouse server's disk";
    return `disk full at ${this.where(disk.path)} (${free}${cause})${cancelled}; ${fix}, then run the command again`;
  }

  private timeoutMessage(stall: string, failure: EngineFailure, elapsedMs: number): string {
    if (stall === 'lock') {
      return `gave up after ${seconds(elapsedMs)} waiting for a table lock (ClickHouse: ${shorten(failure.message)}); find the query holding the table in system.processes, or run the command again once it is done`;
    }
    const limit = engineLimitMs(failure.message);
    if (limit !== undefined && limit < this.bounds.timeoutMs - 1) {
      return `timed out after ${seconds(elapsedMs)}: the server stopped it at its own max_execution_time of ${seconds(limit)}, below ${timeoutSetting(this.bounds)}; raise that limit for this user on the server, or make the work smaller`;
    }
    return `timed out after ${seconds(elapsedMs)}: ClickHouse stops statements at ${timeoutSetting(this.bounds)}; raise store.statementTimeout if the data really needs longer, otherwise see what slows the store down (system.processes, system.merges)`;
  }

  private mutationMessage(stall: string, failure: EngineFailure, elapsedMs: number, target: TableTarget, outcome: MutationOutcome | undefined): string {
    const table = target.database ? `${target.database}.${target.table}` : target.table;
    const what = stall === 'mutation' ? `its mutation on ${table} cannot run` : `timed out after ${seconds(elapsedMs)} (${timeoutSetting(this.bounds)}) waiting for its mutation on ${table}`;
    if (!outcome) {
      return `${what} (ClickHouse: ${shorten(failure.message)}); see system.mutations for what holds the table, KILL MUTATION what cannot finish, then run the command again`;
    }
    const cancelled = outcome.killed ? `; its mutation ${outcome.ours.map((m) => m.mutation_id).join(', ')} was cancelled (KILL MUTATION), so nothing of it runs later` : '';
    const blocker = outcome.ahead.find((m) => m.latest_fail_reason) ?? outcome.ahead[0];
    if (blocker) {
      const kill = `KILL MUTATION WHERE database = '${sqlString(blocker.database)}' AND table = '${sqlString(blocker.table)}' AND mutation_id = '${sqlString(blocker.mutation_id)}'`;
      const state = blocker.latest_fail_reason ? `which fails: ${shorten(blocker.latest_fail_reason)}` : `pending since ${blocker.create_time}`;
      return `${what}, queued behind mutation ${blocker.mutation_id} ${shorten(blocker.command, 80)}, ${state}${cancelled}; if that mutation cannot finish, ${kill}, then run the command again`;
    }
    const ours = outcome.ours[0];
    const parts = ours ? ours.parts_to_do_names.length : 0;
    const state = ours?.latest_fail_reason
      ? `, which fails: ${shorten(ours.latest_fail_reason)}`
      : ` (${parts} part${parts === 1 ? '' : 's'} still to do, no error recorded: ClickHouse has not run it — merges stopped, or its background pool busy)`;
    return `${what}${state}${cancelled}; see system.mutations and system.merges (SYSTEM START MERGES if they were stopped), or raise store.statementTimeout if the table is that large`;
  }

  /** A server profile may cap the settings behind store.statementTimeout (SETTING_CONSTRAINT_VIOLATION). */
  private constraintHint(failure: EngineFailure | undefined): string {
    if (failure?.code !== '452' || !/max_execution_time|timeout_overflow_mode|lock_acquire_timeout/.test(failure.message)) return '';
    return '; store.statementTimeout sets max_execution_time: keep it within what the server allows this user';
  }

  /** Stopped waiting for an engine that did not stop at the limit (embedded only). */
  private abandoned(name: string, started: number, error: unknown): StoreStalledError {
    return new StoreStalledError(
      name,
      `no answer after ${seconds(Date.now() - started)}, past ${timeoutSetting(this.bounds)}: the embedded engine did not stop the statement at its limit and may still be working on it (a hung or full disk at ${this.location} is the usual cause); check that disk, then run the command again (a daemon whose cycles keep failing this way needs a restart)`,
      undefined,
      { reason: 'timeout', abandoned: true },
      { cause: error },
    );
  }
}

function sqlString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
