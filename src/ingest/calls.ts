// The two store calls ingest needs beyond Store's: inserts with their own settings, and reads with large parameters.
import { StoreQueryError, StoreUnreachableError } from '../errors.js';
import { isUnreachable, type QueryParams, type Store } from '../store/index.js';

/**
 * Inserts rows (JSONEachRow) and returns once they are committed: `async_insert = 0`, whatever the server's profile
 * says, since the ledger's account is only right if "the insert returned" means "the rows are in the table". The
 * settings are in the statement, so they go with this insert alone, and Store runs it (its error diagnosis, and a
 * retry only when the server was never reached). `token` must be plain (a UUID or hex): it is written as a literal.
 */
export async function sendRows(store: Store, table: string, rows: readonly object[], token: string | undefined, name: string): Promise<void> {
  if (rows.length === 0) return;
  if (token !== undefined && !/^[A-Za-z0-9-]+$/.test(token)) throw new RangeError(`not a plain token: ${JSON.stringify(token)}`);
  const settings = [...(token === undefined ? [] : [`insert_deduplication_token = '${token}'`]), 'async_insert = 0'].join(', ');
  const body = rows.map((row) => JSON.stringify(row)).join('\n');
  await store.command(`INSERT INTO ${table} SETTINGS ${settings} FORMAT JSONEachRow\n${body}`, {}, name);
}

/**
 * A SELECT whose parameters may be large (a batch's transaction ids): sent in the request body once long, where
 * Store would put them in the URL (servers refuse URLs over 1 MiB). Reads change nothing, so the client is used as is.
 */
export async function selectLarge<T>(store: Store, sql: string, params: QueryParams, name: string): Promise<T[]> {
  try {
    const result = await store.client.query({ query: sql, query_params: params, format: 'JSONEachRow', use_multipart_params_auto: true });
    return (await result.json()) as T[];
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (isUnreachable(error)) {
      throw new StoreUnreachableError(`ClickHouse at ${store.location} is unreachable (${e.code ?? e.message ?? 'unknown error'}); check store.url and that the server is running`, { cause: error });
    }
    throw new StoreQueryError(name, (e.message ?? String(error)).split('\n')[0]?.trim() ?? '', e.code, { cause: error });
  }
}
