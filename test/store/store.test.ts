import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { parseConfig } from '../../src/config/index.js';
import { StoreQueryError, StoreUnreachableError } from '../../src/errors.js';
import { describeTable, openStore, redactUrl, renderSql } from '../../src/store/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

describe('embedded store', () => {
  it('creates the documented tables idempotently', async () => {
    const { ensureSchema } = await import('../../src/store/index.js');
    await ensureSchema(t.store, t.config);
    const columns = await describeTable(t.store, 'scoring_events');
    expect(columns.map((c) => c.name)).toEqual([
      'event_time', 'transaction_id', 'model', 'model_version', 'variant', 'issuer', 'region', 'card_network',
      'merchant_id', 'amount', 'currency', 'score', 'decision', 'latency_ms', 'features',
    ]);
    expect(columns.find((c) => c.name === 'features')?.type).toBe('Map(String, Float64)');
    const outcomes = await describeTable(t.store, 'outcomes');
    expect(outcomes.map((c) => `${c.name} ${c.type}`)).toEqual([
      "transaction_id String", "outcome_time DateTime64(3, 'UTC')", 'approved UInt8', 'chargeback Nullable(UInt8)',
    ]);
  });

  it("an insert without a token is not taken for a repeat of an earlier insert's token (chdb keeps request settings on its connection)", async () => {
    await t.store.command('CREATE TABLE tokens (n UInt32) ENGINE = MergeTree ORDER BY n SETTINGS non_replicated_deduplication_window = 100');
    await t.store.client.insert({ table: 'tokens', values: [{ n: 1 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'tok' } });
    await t.store.insert('tokens', [{ n: 2 }]);
    await t.store.insert('tokens', [{ n: 3 }]);
    const rows = await t.store.select<{ n: number }>('SELECT n FROM tokens ORDER BY n');
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
  });

  it('passes values as parameters and returns 64-bit integers as numbers', async () => {
    const rows = await t.store.select<{ n: number; s: string }>('SELECT count() AS n, {s:String} AS s FROM numbers(10) WHERE number < {k:UInt64}', { s: "it's", k: 4 });
    expect(rows).toEqual([{ n: 4, s: "it's" }]);
  });

  it('renders the events source with renamed columns and the segment key', async () => {
    const config = parseConfig({ segments: ['issuer', 'card_network'], columns: { events: { score: 'p_approve' } } });
    const sql = renderSql('SELECT score, segment FROM {{events}}', config);
    // A renamed column is read under a private alias first, renamed outside (no alias leaks into another mapping).
    expect(sql).toContain('`p_approve` AS `driftwatch_score`');
    expect(sql).toContain('`driftwatch_score` AS `score`');
    expect(sql).toContain('[toString(`issuer`), toString(`card_network`)] AS `driftwatch_segment`');
    // The seeded schema, every column its own: one plain SELECT.
    const plain = renderSql('SELECT score FROM {{events}}', parseConfig({}));
    expect(plain).toContain('`score` AS `score`');
    expect(plain).not.toContain('driftwatch_score');
    expect(() => renderSql('{{nope}}', config)).toThrow(/unknown placeholder/);
  });

  it('turns a bad query into a StoreQueryError with the query name', async () => {
    await expect(t.store.select('SELECT * FROM no_such_table', {}, 'probe')).rejects.toBeInstanceOf(StoreQueryError);
    await expect(t.store.select('SELECT * FROM no_such_table', {}, 'probe')).rejects.toThrow(/query probe failed/);
  });
});

describe('remote store', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    // Bind a port, then close it: connecting to it is refused.
    server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('reports a refused connection as unreachable, naming the URL without the password', async () => {
    const config = parseConfig({ store: { url: `http://admin:hunter2@127.0.0.1:${port}`, retries: 1 } });
    const store = openStore(config);
    const error = await store.select('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}/`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).not.toContain('hunter2');
    expect(await store.ping()).toBe(false);
    await store.close();
  });

  it('redacts credentials from URLs', () => {
    expect(redactUrl('https://u:secret@ch.example:8443/?password=x')).toBe('https://ch.example:8443/');
  });
});
