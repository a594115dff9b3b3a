// The one database client: embedded ClickHouse (chdb) by default, a remote server when store.url is set.
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, ClickHouseError, type ClickHouseClient, type ClickHouseClientConfigOptions, type ClickHouseSettings } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../config/index.js';
import { ConfigError, StoreQueryError, StoreUnreachableError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';

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
  if (error instanceof ClickHouseError) return false;
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
  if (store.url) {
    const client = remoteClient(store.url, {
      url: store.url,
      username: store.user,
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database: store.database,
      request_timeout: store.requestTimeout,
      clickhouse_settings: SETTINGS,
      application: 'driftwatch',
      log,
      ...(store.tls?.caCert ? { tls: { ca_cert: readConfigFile(store.tls.caCert, 'store.tls.caCert') } } : {}),
    });
    return new ClientStore('remote', redactUrl(store.url), client, store.retries);
  }
  const path = resolve(store.path);
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new ConfigError(`store.path ${path} cannot be used as the data directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a directory driftwatch may create and write`, { cause: error });
  }
  // chdb types its connection against @clickhouse/client-common 1.23.0, the client bundles 1.23.1's copy of the
  // same interface; the runtime contract is identical, so the one cast lives here.
  const connection = createChdbConnection({ path }) as unknown as ClickHouseClientConfigOptions['connection'];
  const client = createClient({ connection, clickhouse_settings: SETTINGS, log });
  return new ClientStore('embedded', path, client, 0);
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

class ClientStore implements Store {
  constructor(
    readonly kind: StoreKind,
    readonly location: string,
    readonly client: ClickHouseClient,
    private readonly retries: number,
  ) {}

  async select<T>(sql: string, params: QueryParams = {}, name = 'select'): Promise<T[]> {
    return this.withRetries(name, true, async () => {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return (await result.json()) as T[];
    });
  }

  async command(sql: string, params: QueryParams = {}, name = 'command'): Promise<void> {
    await this.withRetries(name, false, () => this.client.command({ query: sql, query_params: params }));
  }

  async insert(table: string, rows: readonly object[], name = `insert into ${table}`): Promise<void> {
    if (rows.length === 0) return;
    await this.withRetries(name, false, () => this.client.insert({ table, values: rows as object[], format: 'JSONEachRow' }));
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
    return this.client.close();
  }

  /** Reads are retried on connection failures; writes only when the server was never reached. */
  private async withRetries<T>(name: string, idempotent: boolean, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const unreachable = isUnreachable(error);
        const refused = (error as { code?: string }).code === 'ECONNREFUSED';
        if (unreachable && attempt < this.retries && (idempotent || refused)) {
          await new Promise((done) => setTimeout(done, 200 * 2 ** attempt));
          continue;
        }
        throw this.wrap(name, error);
      }
    }
  }

  private wrap(name: string, error: unknown): Error {
    if (isUnreachable(error)) {
      const e = error as { code?: string; message?: string };
      const reason = e.code ?? e.message ?? 'unknown error';
      return new StoreUnreachableError(
        `ClickHouse at ${this.location} is unreachable (${reason}); check store.url, that the server is running and reachable, and store.requestTimeout`,
        { cause: error },
      );
    }
    if (error instanceof ClickHouseError) return new StoreQueryError(name, firstLine(error.message), error.code, { cause: error });
    return new StoreQueryError(name, firstLine((error as Error)?.message ?? String(error)), undefined, { cause: error });
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
