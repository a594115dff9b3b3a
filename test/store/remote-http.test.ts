// driftwatch's remote store (store.url) against ClickHouse's HTTP interface served by the embedded engine
// (test/helpers/clickhouse-http.ts): first the server itself through @clickhouse/client, then the CLI's seed,
// run and rollup over HTTP compared with the same commands on an embedded store, then a run by a user who may
// only read the source tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createClientWithLogs, ClickHouseError, ClickHouseLogLevel, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startClickHouseHttp, type ClickHouseHttp } from '../helpers/clickhouse-http.js';

const AT = '2026-03-10T00:00:00Z';
const SEED = ['--days', '2', '--end', AT, '--events-per-day', '120000', '--scenario', 'issuer-outage', 'score-drift'];
/** The seeded source tables, by name: where they live is driftwatch's business (store.database, qualified names). */
const SOURCE = /(^|\.)`?(scoring_events|outcomes)`?$/;

/** A client that does not log the errors these tests provoke. */
const createClient = (options: ClickHouseClientConfigOptions) => createClientWithLogs({ ...options, log: { level: ClickHouseLogLevel.OFF } });

let dir: string;
let server: ClickHouseHttp;
let admin: ClickHouseClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'driftwatch-remote-http-'));
  server = await startClickHouseHttp({
    path: join(dir, 'engine'),
    users: {
      reader: { password: 'reader-pw', selectOnly: ['scoring_events', 'outcomes'] },
      probe: { password: 'probe-pw', selectOnly: ['probe.listed'] },
    },
  });
  admin = createClient({ url: server.url });
});

afterAll(async () => {
  await admin?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rows<T>(client: ClickHouseClient, query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  // 64-bit integers as numbers, as driftwatch asks for them.
  return (await (await client.query({ query, query_params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json()) as T[];
}

async function failure(promise: Promise<unknown>): Promise<ClickHouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClickHouseError);
  return error as ClickHouseError;
}

describe('the HTTP server, through @clickhouse/client', () => {
  it('answers ping, binds query parameters as sent (strings, arrays, nulls, dates) and reads JSONEachRow', async () => {
    expect((await admin.ping()).success).toBe(true);
    const tricky = "tab\there, new\nline, back\\slash, quote ' and \"double\" — ünïcode";
    const [row] = await rows<{ s: string; n: number; arr: string[]; nothing: string | null; d: string }>(
      admin,
      "SELECT {s:String} AS s, {n:UInt32} AS n, {arr:Array(String)} AS arr, {nothing:Nullable(String)} AS nothing, toString({d:DateTime64(3, 'UTC')}) AS d",
      { s: tricky, n: 42, arr: ["it's", 'a\\b', 'c\td'], nothing: null, d: '2026-03-09 12:34:56.789' },
    );
    expect(row).toEqual({ s: tricky, n: 42, arr: ["it's", 'a\\b', 'c\td'], nothing: null, d: '2026-03-09 12:34:56.789' });
  });

  it('runs commands and inserts, and the `database` setting selects the current database', async () => {
    await admin.command({ query: 'CREATE DATABASE IF NOT EXISTS probe' });
    await admin.command({ query: 'CREATE TABLE probe.listed (k String, v UInt32) ENGINE = MergeTree ORDER BY k' });
    await admin.command({ query: 'CREATE TABLE probe.other (k String, v UInt32) ENGINE = MergeTree ORDER BY k' });
    const inProbe = createClient({ url: server.url, database: 'probe' });
    try {
      const inserted = await inProbe.insert({ table: 'listed', values: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }], format: 'JSONEachRow', query_id: 'insert-into-listed' });
      expect(inserted.query_id).toBe('insert-into-listed');
      expect(inserted.summary?.written_rows).toBe('2');
      expect(await rows(inProbe, 'SELECT currentDatabase() AS db, count() AS n FROM listed')).toEqual([{ db: 'probe', n: 2 }]);
      // Without it, the same unqualified name is looked up in `default`.
      expect((await failure(admin.query({ query: 'SELECT count() FROM listed' }))).type).toBe('UNKNOWN_TABLE');
    } finally {
      await inProbe.close();
    }
    expect(server.statements.find((s) => s.queryId === 'insert-into-listed')).toMatchObject({ kind: 'InsertQuery', database: 'probe', text: 'INSERT INTO listed FORMAT JSONEachRow', targets: ['probe.listed'] });
  });

  it('sends each request its own settings: they reach the engine and do not outlive the request', async () => {
    const [withSetting] = await (await admin.query({ query: "SELECT getSetting('max_threads') AS t", format: 'JSONEachRow', clickhouse_settings: { max_threads: 3 } })).json<{ t: number }>();
    expect(Number(withSetting?.t)).toBe(3);
    const [after] = await rows<{ t: number }>(admin, "SELECT getSetting('max_threads') AS t");
    expect(Number(after?.t)).not.toBe(3);
  });

  it('takes query parameters too long for the URL as multipart/form-data, as driftwatch sends large batches', async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `transaction-${i}`);
    const result = await admin.query({
      query: 'SELECT length({ids:Array(String)}) AS n, {ids:Array(String)}[2000] AS last',
      query_params: { ids },
      format: 'JSONEachRow',
      use_multipart_params_auto: true,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await result.json()).toEqual([{ n: 2_000, last: 'transaction-1999' }]);
  });

  it('runs one statement at a time, whatever arrives together', async () => {
    const from = server.statements.length;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => rows<{ i: number }>(admin, 'SELECT {i:UInt8} AS i, sleep(0.02) AS s', { i })));
    expect(answers.map(([row]) => row?.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const turns = server.statements.slice(from).sort((a, b) => a.startedAt - b.startedAt);
    expect(turns).toHaveLength(8);
    for (const [i, turn] of turns.slice(1).entries()) expect(turn.startedAt).toBeGreaterThanOrEqual((turns[i]?.startedAt ?? 0) + (turns[i]?.ms ?? 0));
  });

  it('keeps what a session SETs, but not the URL settings of one of its requests', async () => {
    const session_id = `session-${Date.now()}`;
    await admin.command({ query: 'SET max_threads = 1', session_id });
    const threads = async (clickhouse_settings = {}) =>
      Number((await (await admin.query({ query: "SELECT getSetting('max_threads') AS t", format: 'JSONEachRow', session_id, clickhouse_settings })).json<{ t: number }>())[0]?.t);
    expect(await threads()).toBe(1);
    expect(await threads({ max_threads: 3 })).toBe(3);
    expect(await threads()).toBe(1);
    // Temporary tables live as long as their session; without one, as long as the request.
    await admin.command({ query: 'CREATE TEMPORARY TABLE scratch (a UInt8)', session_id });
    await admin.command({ query: 'INSERT INTO scratch VALUES (7)', session_id });
    expect((await (await admin.query({ query: 'SELECT a FROM scratch', format: 'JSONEachRow', session_id })).json())).toEqual([{ a: 7 }]);
    await admin.command({ query: 'CREATE TEMPORARY TABLE scratch (a UInt8)' });
    expect((await failure(admin.query({ query: 'SELECT a FROM scratch' }))).type).toBe('UNKNOWN_TABLE');
  });

  it('runs an INSERT sent whole in the body past max_query_size, as a server does (its rows do not count)', async () => {
    await admin.command({ query: 'CREATE TABLE probe.wide (k String, pad String) ENGINE = MergeTree ORDER BY k' });
    const body = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ k: `k${i}`, pad: 'x'.repeat(40) })).join('\n');
    expect(body.length).toBeGreaterThan(262_144);
    await admin.command({ query: `INSERT INTO probe.wide SETTINGS async_insert = 0 FORMAT JSONEachRow\n${body}` });
    expect(await rows(admin, 'SELECT count() AS n FROM probe.wide')).toEqual([{ n: 20_000 }]);
    expect(server.statements.at(-2)).toMatchObject({ kind: 'InsertQuery', normalized: 'INSERT INTO probe.wide SETTINGS async_insert = 0 FORMAT JSONEachRow', targets: ['probe.wide'] });
  });

  it('insert_deduplication_token reaches the engine: a second insert under the same token is dropped, the token does not stick', async () => {
    await admin.command({ query: 'CREATE TABLE probe.outbox (k String, version UInt32) ENGINE = MergeTree ORDER BY (k, version) SETTINGS non_replicated_deduplication_window = 100' });
    const put = (k: string, token?: string) =>
      admin.insert({ table: 'probe.outbox', values: [{ k, version: 1 }], format: 'JSONEachRow', ...(token ? { clickhouse_settings: { insert_deduplication_token: token } } : {}) });
    await put('first', 'job-1:1');
    await put('second', 'job-1:1'); // same token: the compare-and-set loser, dropped
    await put('third'); // no token: had the previous request's token stayed on, this would be dropped too
    await put('fourth', 'job-1:2');
    expect((await rows<{ k: string }>(admin, 'SELECT k FROM probe.outbox ORDER BY k')).map((r) => r.k)).toEqual(['first', 'fourth', 'third']);
    const sent = server.statements.filter((s) => s.kind === 'InsertQuery' && s.targets.includes('probe.outbox'));
    expect(sent.map((s) => s.settings.insert_deduplication_token)).toEqual(['job-1:1', 'job-1:1', undefined, 'job-1:2']);
  });

  it('answers errors as ClickHouse does: status by code, X-ClickHouse-Exception-Code, `Code: N. DB::Exception: … (NAME)`', async () => {
    const unknown = await failure(admin.query({ query: 'SELECT * FROM default.no_such_table' }));
    expect(unknown.code).toBe('60');
    expect(unknown.type).toBe('UNKNOWN_TABLE');
    const syntax = await failure(admin.command({ query: 'SELEC 1' }));
    expect([syntax.code, syntax.type]).toEqual(['62', 'SYNTAX_ERROR']);
    expect((await failure(admin.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as never }))).type).toBe('UNKNOWN_SETTING');

    const raw = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT * FROM default.no_such_table')}`);
    expect(raw.status).toBe(404);
    expect(raw.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await raw.text()).toMatch(/^Code: 60\. DB::Exception: .+\. \(UNKNOWN_TABLE\) \(version [\d.]+\)\n$/);
    const ok = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT 1 AS one')}&default_format=JSONEachRow`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(JSON.parse(ok.headers.get('x-clickhouse-summary') ?? '{}')).toHaveProperty('read_rows');
    expect(await ok.text()).toBe('{"one":1}\n');

    // One statement a request, as over real HTTP: the second is never run.
    const multi = await failure(admin.command({ query: 'SELECT 1; DROP TABLE probe.other' }));
    expect(multi.type).toBe('SYNTAX_ERROR');
    expect(multi.message).toContain('Multi-statements are not allowed');
    expect(await rows(admin, "SELECT count() AS n FROM system.tables WHERE database = 'probe' AND name = 'other'")).toEqual([{ n: 1 }]);

    // GET is readonly; wrong credentials are refused before anything runs.
    const get = await fetch(`${server.url}/?query=${encodeURIComponent('CREATE TABLE probe.by_get (a UInt8) ENGINE = Memory')}`);
    expect(get.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await get.text()).toContain('(READONLY)');
    const stranger = createClient({ url: server.url, username: 'reader', password: 'wrong' });
    try {
      const refused = await failure(stranger.query({ query: 'SELECT 1' }));
      expect(refused.type).toBe('AUTHENTICATION_FAILED');
    } finally {
      await stranger.close();
    }
  });

  it('takes gzip both ways when the client compresses', async () => {
    const gzip = createClient({ url: server.url, compression: { request: true, response: true } });
    try {
      await gzip.insert({ table: 'probe.other', values: Array.from({ length: 500 }, (_, i) => ({ k: `k${i}`, v: i })), format: 'JSONEachRow' });
      expect(await rows(gzip, 'SELECT count() AS n, sum(v) AS s FROM probe.other')).toEqual([{ n: 500, s: 124750 }]);
    } finally {
      await gzip.close();
    }
    const raw = await fetch(`${server.url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT 1')}`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(raw.headers.get('content-encoding')).toBe('gzip');
  });

  it('a select-only user reads the listed table and writes elsewhere, but may not write, alter or drop it (ACCESS_DENIED, never run)', async () => {
    const probe = createClient({ url: server.url, username: 'probe', password: 'probe-pw' });
    try {
      expect(await rows(probe, 'SELECT count() AS n FROM probe.listed')).toEqual([{ n: 2 }]);
      await probe.command({ query: 'INSERT INTO probe.other SELECT k, v FROM probe.listed' });
      for (const query of ["INSERT INTO probe.listed VALUES ('c', 3)", "ALTER TABLE probe.listed DELETE WHERE k = 'a'", 'TRUNCATE TABLE probe.listed', 'DROP TABLE probe.listed', 'OPTIMIZE TABLE probe.listed FINAL', 'DROP DATABASE probe']) {
        const denied = await failure(probe.command({ query }));
        expect([denied.code, denied.type], query).toEqual(['497', 'ACCESS_DENIED']);
        expect(denied.message).toMatch(/^probe: Not enough privileges\. To execute this query, it's necessary to have the grant .+ ON probe\.listed/);
      }
      const inProbe = createClient({ url: server.url, username: 'probe', password: 'probe-pw', database: 'probe' });
      try {
        expect((await failure(inProbe.insert({ table: 'listed', values: [{ k: 'z', v: 9 }], format: 'JSONEachRow' }))).type).toBe('ACCESS_DENIED');
      } finally {
        await inProbe.close();
      }
    } finally {
      await probe.close();
    }
    expect(await rows(admin, 'SELECT groupArray(k) AS ks FROM (SELECT k FROM probe.listed ORDER BY k)')).toEqual([{ ks: ['a', 'b'] }]);
    const denied = server.statements.filter((s) => s.user === 'probe' && s.denied);
    expect(denied.map((s) => s.kind)).toEqual(['InsertQuery', 'AlterQuery', 'TruncateQuery', 'DropQuery', 'OptimizeQuery', 'DropQuery', 'InsertQuery']);
  });

  it('close() makes the port refuse connections', async () => {
    const other = await startClickHouseHttp({ path: join(dir, 'engine') });
    expect((await fetch(`${other.url}/ping`)).status).toBe(200);
    await other.close();
    const error = await fetch(`${other.url}/ping`).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error?.cause?.code).toBe('ECONNREFUSED');
  });
});

interface Finding {
  monitor: string;
  model: string;
  segment: Record<string, string>;
  feature: string;
  window: string;
  severity: string;
}

function findingKeys(result: CliResult): string[] {
  const doc = JSON.parse(result.stdout) as { findings: Finding[] };
  return doc.findings
    .map((f) => [f.monitor, f.model, JSON.stringify(Object.entries(f.segment).sort(([a], [b]) => a.localeCompare(b))), f.feature, f.window, f.severity].join(' | '))
    .sort();
}

function configFile(name: string, store: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `store: ${store}\n`);
  return file;
}

describe('driftwatch over HTTP (store.url)', () => {
  let remoteFindings: string[];

  it('seed, run --once and rollup --rebuild succeed, and find what the same seed and run find on an embedded store', async () => {
    const before = server.statements.length;
    const remote = configFile('remote', `{ url: ${JSON.stringify(server.url)}, retries: 0 }`);
    // The embedded run needs its own process and data directory (this process's engine is the server's).
    const embedded = configFile('embedded', `{ path: ${JSON.stringify(join(dir, 'embedded-data'))} }`);
    const embeddedRun = (async () => {
      const seeded = await runCli(['seed', '--config', embedded, ...SEED]);
      expect(seeded.code, seeded.stderr).toBe(0);
      return runCli(['run', '--once', '--json', '--at', AT, '--config', embedded]);
    })();

    const seeded = await runCli(['seed', '--config', remote, ...SEED]);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/seeded [\d,]+ events/);
    const run = await runCli(['run', '--once', '--json', '--at', AT, '--config', remote]);
    expect(run.code, run.stderr).toBe(1); // 1: findings
    remoteFindings = findingKeys(run);
    expect(remoteFindings.length).toBeGreaterThan(0);
    expect(remoteFindings.some((k) => k.startsWith('approval_rate | card-auth | [["issuer","Eurobanca"]'))).toBe(true);

    const rollup = await runCli(['rollup', '--rebuild', '--at', AT, '--config', remote]);
    expect(rollup.code, rollup.stderr).toBe(0);

    const local = await embeddedRun;
    expect(local.code, local.stderr).toBe(1);
    expect(remoteFindings).toEqual(findingKeys(local));

    // Everything went over HTTP, and nothing failed on the server.
    const sent = server.statements.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((s) => s.error).map((s) => `${s.kind}: ${s.error?.name} ${s.error?.message}`)).toEqual([]);
  });

  it('a user who may only SELECT the source tables runs a cycle; the source tables were only read', async () => {
    const before = server.statements.length;
    const reader = configFile('reader', `{ url: ${JSON.stringify(server.url)}, user: reader, retries: 0 }`);
    const run = await runCli(['run', '--once', '--json', '--at', AT, '--config', reader], { CLICKHOUSE_PASSWORD: 'reader-pw' });
    expect(run.code, run.stderr).toBe(1);
    expect(findingKeys(run)).toEqual(remoteFindings);

    const mine = server.statements.slice(before).filter((s) => s.user === 'reader');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.filter((s) => s.denied || s.error).map((s) => `${s.kind}: ${s.error?.message}`)).toEqual([]);
    // Which tables a statement names comes from the engine's parser (EXPLAIN AST), not from its text: a column
    // called `outcomes` is not the outcomes table.
    const named = (tables: string[]) => tables.some((t) => SOURCE.test(t));
    expect(mine.filter((s) => named(s.targets)).map((s) => `${s.kind}: ${s.text.slice(0, 200)}`)).toEqual([]);
    const onSource = mine.filter((s) => named(s.reads));
    expect(onSource.filter((s) => s.kind === 'SelectWithUnionQuery').length).toBeGreaterThan(0);
    // Other statements name them only in their SELECT part (INSERT INTO <driftwatch table> SELECT … FROM source).
    expect(onSource.filter((s) => !s.read && s.kind !== 'InsertQuery').map((s) => `${s.kind}: ${s.text.slice(0, 200)}`)).toEqual([]);
    // It wrote: its own tables, not the source ones.
    expect(mine.some((s) => !s.read && s.targets.length > 0)).toBe(true);
  });
});
