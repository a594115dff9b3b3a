import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, StoreUnreachableError } from '../../src/errors.js';
import { ingestFile, MAX_REPORTED_ERRORS } from '../../src/ingest/index.js';
import type { Logger } from '../../src/log.js';
import type { Store } from '../../src/store/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { eventRow, jsonError, outcomeRow, writeLines } from './rows.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

async function count(sql: string): Promise<number> {
  const [row] = await t.store.select<{ n: number }>(sql);
  return row?.n ?? NaN;
}

describe('ingestFile into scoring events', () => {
  it('loads every valid row of a 10,000-line file and reports each of the 10 bad lines', async () => {
    const missingRegion = eventRow(9100);
    delete missingRegion.region;
    const bad = new Map<number, [string | object, string]>([
      [17, ['{"event_time": "2026-11-20 10:00:00", "score": 0.5', `not valid JSON: ${jsonError('{"event_time": "2026-11-20 10:00:00", "score": 0.5')}`]],
      [1003, [eventRow(1003, { score: 'abc' }), 'score: expected a number, got string "abc"']],
      [2500, [eventRow(2500, { variant: 3 }), 'variant: expected a string, got number 3']],
      [3333, [eventRow(3333, { variant: 'canary' }), 'variant: must be "live" or "shadow", got string "canary"']],
      [4999, [eventRow(4999, { issuer: null }), 'issuer: null is not allowed (the column is not Nullable)']],
      [6001, [eventRow(6001, { event_time: '2026/11/20 10:00' }), 'event_time: expected a time like "2026-11-24 12:00:00.000" (UTC) or ISO 8601 with Z or an offset, got "2026/11/20 10:00"']],
      [7777, [eventRow(7777, { features: { velocity_1h: 'high' } }), 'features.velocity_1h: expected a number, got string "high"']],
      [8500, [eventRow(8500, { colour: 'red' }), 'unknown column "colour"']],
      [9100, [missingRegion, 'missing column region']],
      [10000, [eventRow(10000, { event_time: '2026-02-30 10:00:00' }), 'event_time: "2026-02-30 10:00:00" is not a real date and time']],
    ]);
    const lines = Array.from({ length: 10_000 }, (_, i) => bad.get(i + 1)?.[0] ?? eventRow(i + 1));
    const file = writeLines(t.dir, 'events.jsonl', lines);
    const progress: [number, number | undefined][] = [];

    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file, batchRows: 3000, onProgress: (done, total) => progress.push([done, total]) });

    expect(summary).toMatchObject({ table: 'scoring_events', lines: 10_000, loaded: 9_990, skipped: 10 });
    expect(summary.errors).toEqual([...bad].map(([line, [, reason]]) => ({ line, reason })));
    expect(summary.seconds).toBeGreaterThan(0);
    expect(await count("SELECT count() AS n FROM scoring_events WHERE model = 'card-auth'")).toBe(9_990);
    // A landed row is the row as written: spot-check one in full.
    const [row] = await t.store.select<Record<string, unknown>>("SELECT * FROM scoring_events WHERE transaction_id = 'tx-42'");
    expect(row).toEqual({ ...eventRow(42), event_time: '2026-11-20 18:00:00.042' });
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.at(-1)?.[0]).toBe(progress.at(-1)?.[1]);
  });

  it('lands NaN, ±Inf and out-of-range scores, which SQL can then count', async () => {
    const rows = ['NaN', 'nan', 'Inf', '+Inf', '-Inf', 'Infinity', '-Infinity', 1.5, -0.2, 0.5].map((score, i) => eventRow(i, { model: 'broken', score }));
    const file = writeLines(t.dir, 'scores.jsonl', [...rows, JSON.stringify(eventRow(99, { model: 'broken' })).replace('"score":0.99', '"score":1e400')]);
    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file });
    expect(summary).toMatchObject({ loaded: 11, skipped: 0, errors: [] });
    const [stats] = await t.store.select<Record<string, number>>(
      "SELECT countIf(isNaN(score)) AS nan, countIf(isInfinite(score)) AS inf, countIf(score > 1) AS above, countIf(score < 0) AS below FROM scoring_events WHERE model = 'broken'",
    );
    expect(stats).toEqual({ nan: 2, inf: 6, above: 5, below: 3 });
  });

  it('accepts NaN and ±Inf inside features, and refuses other strings', async () => {
    const file = writeLines(t.dir, 'features.jsonl', [
      eventRow(1, { model: 'feat', features: { a: 'NaN', b: '-Inf', c: 2 } }),
      eventRow(2, { model: 'feat', features: { a: 'abc' } }),
      eventRow(3, { model: 'feat', features: [1, 2] }),
    ]);
    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file });
    expect(summary.errors).toEqual([
      { line: 2, reason: 'features.a: expected a number, got string "abc"' },
      { line: 3, reason: 'features: expected an object, got an array' },
    ]);
    const [row] = await t.store.select<{ a: number; b: number; c: number }>(
      "SELECT isNaN(features['a']) AS a, features['b'] = -inf AS b, features['c'] AS c FROM scoring_events WHERE model = 'feat'",
    );
    expect(row).toEqual({ a: 1, b: 1, c: 2 });
  });

  it('converts times with an offset or Z to UTC', async () => {
    const times = ['2026-11-20T12:30:00.250+02:00', '2026-11-20T10:30:00.25Z', '2026-11-20 23:59:59.5', '2026-11-20T01:00:00-05:30', '2026-11-21 00:00:00'];
    const file = writeLines(t.dir, 'times.jsonl', [...times.map((event_time, i) => eventRow(i, { model: 'times', event_time })), eventRow(9, { model: 'times', event_time: '2026-11-20T10:00:00' })]);
    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file });
    expect(summary.errors).toEqual([{ line: 6, reason: 'event_time: ISO 8601 time "2026-11-20T10:00:00" needs Z or an offset such as +02:00' }]);
    const rows = await t.store.select<{ t: string }>("SELECT toString(event_time) AS t FROM scoring_events WHERE model = 'times' ORDER BY transaction_id");
    expect(rows.map((r) => r.t)).toEqual(['2026-11-20 10:30:00.250', '2026-11-20 10:30:00.250', '2026-11-20 23:59:59.500', '2026-11-20 06:30:00.000', '2026-11-21 00:00:00.000']);
  });

  it('ignores blank lines, CRLF line ends and a byte-order mark', async () => {
    const file = writeLines(t.dir, 'crlf.jsonl', ['\uFEFF' + JSON.stringify(eventRow(1, { model: 'crlf' })) + '\r', '\r', '   ', JSON.stringify(eventRow(2, { model: 'crlf' })) + '\r']);
    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file });
    expect(summary).toMatchObject({ lines: 4, loaded: 2, skipped: 0 });
  });

  it('reports every problem of a line, and a line that is not an object', async () => {
    const file = writeLines(t.dir, 'many.jsonl', [eventRow(1, { model: 'many', score: '0.5', amount: null, extra: 1 }), '[1, 2]', '42']);
    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file });
    expect(summary.errors).toEqual([
      { line: 1, reason: 'amount: null is not allowed (the column is not Nullable); score: expected a number, got string "0.5"; unknown column "extra"' },
      { line: 2, reason: 'expected a JSON object, got an array' },
      { line: 3, reason: 'expected a JSON object, got number 42' },
    ]);
  });

  it('keeps the first 1000 errors, logs the first 20 and a count of the rest, then one summary line', async () => {
    const lines = Array.from({ length: MAX_REPORTED_ERRORS + 5 }, (_, i) => `oops ${i}`);
    const file = writeLines(t.dir, 'junk.jsonl', [...lines, eventRow(1, { model: 'junk' })]);
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
    const summary = await ingestFile(t.store, t.config, { table: 'scoring_events', file }, logger as unknown as Logger);
    expect(summary).toMatchObject({ lines: 1006, loaded: 1, skipped: 1005 });
    expect(summary.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(summary.errors[999]?.line).toBe(1000);
    expect(logger.warn).toHaveBeenCalledTimes(21);
    expect(logger.warn.mock.calls[20]?.[1]).toBe('… and 985 more skipped lines');
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(logger.info.mock.calls[0]?.[0]).toMatchObject({ loaded: 1, skipped: 1005 });
  });
});

describe('ingestFile into outcomes', () => {
  it('lands null and missing chargebacks and refuses approvals that are not UInt8', async () => {
    const noChargeback = outcomeRow(5);
    delete noChargeback.chargeback;
    const file = writeLines(t.dir, 'outcomes.jsonl', [
      outcomeRow(1),
      outcomeRow(2, { chargeback: null }),
      noChargeback,
      outcomeRow(3, { approved: 300 }),
      outcomeRow(4, { approved: -1 }),
      outcomeRow(6, { approved: 1.5 }),
      outcomeRow(7, { approved: true }),
      outcomeRow(8, { outcome_time: '2026-11-20T15:00:00+01:00' }),
    ]);
    const summary = await ingestFile(t.store, t.config, { table: 'outcomes', file });
    expect(summary).toMatchObject({ table: 'outcomes', loaded: 4, skipped: 4 });
    expect(summary.errors).toEqual([
      { line: 4, reason: 'approved: 300 is out of range for UInt8 (0 to 255)' },
      { line: 5, reason: 'approved: -1 is out of range for UInt8 (0 to 255)' },
      { line: 6, reason: 'approved: expected an integer, got number 1.5' },
      { line: 7, reason: 'approved: expected an integer, got boolean true' },
    ]);
    const rows = await t.store.select<Record<string, unknown>>('SELECT transaction_id, toString(outcome_time) AS at, approved, chargeback FROM outcomes ORDER BY transaction_id');
    expect(rows).toEqual([
      { transaction_id: 'tx-1', at: '2026-11-20 13:00:00.000', approved: 1, chargeback: 0 },
      { transaction_id: 'tx-2', at: '2026-11-20 13:00:00.000', approved: 0, chargeback: null },
      { transaction_id: 'tx-5', at: '2026-11-20 13:00:00.000', approved: 1, chargeback: null },
      { transaction_id: 'tx-8', at: '2026-11-20 14:00:00.000', approved: 0, chargeback: 0 },
    ]);
  });
});

describe('ingestFile refuses bad usage with a ConfigError', () => {
  it('names the valid tables when the table is neither events nor outcomes', async () => {
    const file = writeLines(t.dir, 'one.jsonl', [eventRow(1)]);
    const error = await ingestFile(t.store, t.config, { table: 'driftwatch_metrics', file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toBe('cannot ingest into table "driftwatch_metrics": choose scoring_events (tables.events) or outcomes (tables.outcomes)');
  });

  it('says so when the file is missing or not a file', async () => {
    await expect(ingestFile(t.store, t.config, { table: 'outcomes', file: join(t.dir, 'nope.jsonl') })).rejects.toThrow(ConfigError);
    await expect(ingestFile(t.store, t.config, { table: 'outcomes', file: join(t.dir, 'nope.jsonl') })).rejects.toThrow(/nope\.jsonl: no such file/);
    const dir = join(t.dir, 'a-directory');
    mkdirSync(dir);
    await expect(ingestFile(t.store, t.config, { table: 'outcomes', file: dir })).rejects.toThrow(/is not a file/);
  });

  // Reading /proc/self/mem from offset 0 fails with EIO: a file that exists but cannot be read.
  it.skipIf(process.platform !== 'linux')('says so when the file fails while being read', async () => {
    const error = await ingestFile(t.store, t.config, { table: 'outcomes', file: '/proc/self/mem' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^cannot read \/proc\/self\/mem: EIO/);
  });
});

describe('ingestFile when the store fails', () => {
  it('stops with the store error and logs how many rows had landed', async () => {
    let calls = 0;
    // Batches go in as INSERT statements (with their deduplication token and async_insert = 0 in the SQL).
    const failing: Store = Object.create(t.store, {
      command: {
        value: async (sql: string, params?: Record<string, unknown>, name?: string) => {
          if (sql.startsWith('INSERT INTO `scoring_events`') && ++calls === 2) throw new StoreUnreachableError('ClickHouse went away');
          await t.store.command(sql, params, name);
        },
      },
    });
    const file = writeLines(t.dir, 'fail.jsonl', Array.from({ length: 50 }, (_, i) => eventRow(i, { model: 'fail' })));
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
    const error = await ingestFile(failing, t.config, { table: 'scoring_events', file, batchRows: 10 }, logger as unknown as Logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]?.[1]).toBe('ingest stopped: ClickHouse went away; 10 rows had landed. Run the same command again to load the rest: batches that landed are not sent twice');
    expect(await count("SELECT count() AS n FROM scoring_events WHERE model = 'fail'")).toBe(10);
  });
});
