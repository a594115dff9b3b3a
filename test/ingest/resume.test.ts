// Re-running ingest after it stopped at each point of a batch's landing: every line lands once (in process; resume-cli.test.ts kills the real CLI).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { ingestFile, type IngestSummary } from '../../src/ingest/index.js';
import type { Logger } from '../../src/log.js';
import type { Store } from '../../src/store/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { eventRow, outcomeRow, writeLines } from './rows.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

/**
 * `pairs` transactions as 2·pairs lines: a live and a shadow row per transaction id, at the same time, spread over
 * five days (so every batch is split into several partitions, one part each), and every 97th line not JSON.
 */
function pairLines(prefix: string, pairs: number): string[] {
  const lines: string[] = [];
  for (let j = 0; j < 2 * pairs; j++) {
    const pair = j >> 1;
    const time = `2026-11-${10 + (pair % 5)} ${String(pair % 24).padStart(2, '0')}:${String(pair % 60).padStart(2, '0')}:00.${String(pair % 1000).padStart(3, '0')}`;
    lines.push(JSON.stringify(eventRow(pair, { transaction_id: `${prefix}-${pair}`, variant: j % 2 ? 'shadow' : 'live', event_time: time })));
    if (lines.length % 97 === 0) lines[lines.length - 1] = `{"broken": ${pair}`;
  }
  return lines;
}

const validLines = (lines: string[]) => lines.filter((l) => !l.startsWith('{"broken"')).length;

/** Rows of the file's transactions in the table, and how many distinct (id, variant) there are: equal when nothing landed twice. */
async function landed(prefix: string, table = 'scoring_events'): Promise<{ rows: number; distinct: number }> {
  const [row] = await t.store.select<{ rows: number; distinct: number }>(
    `SELECT count() AS rows, uniqExact(transaction_id, variant) AS distinct FROM ${table} WHERE startsWith(transaction_id, {p:String})`,
    { p: `${prefix}-` },
  );
  return row ?? { rows: NaN, distinct: NaN };
}

type Crash = 'before the insert' | 'after the insert' | 'part of the insert';

/**
 * The store, but the run dies at the `at`-th batch insert into `table`: before it runs, right after it returned
 * (before the ledger says so), or after only the rows `keep` picks landed (some partitions' parts committed).
 */
function crashing(store: Store, at: number, crash: Crash, keep: (row: Record<string, unknown>) => boolean = () => true, table = 'scoring_events'): Store {
  let inserts = 0;
  return Object.create(store, {
    command: {
      value: async (sql: string, params?: Record<string, unknown>, name?: string) => {
        if (sql.startsWith(`INSERT INTO \`${table}\` SETTINGS insert_deduplication_token`) && ++inserts === at) {
          if (crash === 'after the insert') await store.command(sql, params, name);
          if (crash === 'part of the insert') {
            const [head, ...rows] = sql.split('\n');
            await store.command([head, ...rows.filter((r) => keep(JSON.parse(r) as Record<string, unknown>))].join('\n'), params, name);
          }
          throw new Error(`killed ${crash}`);
        }
        await store.command(sql, params, name);
      },
    },
  });
}

const quietLogger = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() });

async function ingest(store: Store, file: string, batchRows: number, config: Config = t.config, table = 'scoring_events', logger = quietLogger()): Promise<IngestSummary> {
  return ingestFile(store, config, { table, file, batchRows }, logger as unknown as Logger);
}

describe('a run stopped while a batch was landing, then the same call again', () => {
  it.each<Crash>(['after the insert', 'before the insert', 'part of the insert'])('%s: every line lands once', async (crash) => {
    const prefix = `p${crash.split(' ')[0]}`;
    const lines = pairLines(prefix, 5_000);
    const file = writeLines(t.dir, `${prefix}.jsonl`, lines);
    const firstDay = (row: Record<string, unknown>) => String(row.event_time).startsWith('2026-11-10');
    await expect(ingest(crashing(t.store, 3, crash, firstDay), file, 2_000)).rejects.toThrow(`killed ${crash}`);
    // Batches 1 and 2 landed; of batch 3 (lines 4001–6000): all of it, none, or its rows of the first day.
    const valid = (from: number, to: number, keep = (_: Record<string, unknown>) => true) =>
      lines.slice(from - 1, to).filter((l) => !l.startsWith('{"broken"') && keep(JSON.parse(l) as Record<string, unknown>)).length;
    const batch3 = valid(4001, 6000);
    const landedBatch3 = { 'after the insert': batch3, 'before the insert': 0, 'part of the insert': valid(4001, 6000, firstDay) }[crash];
    expect(landedBatch3 === 0 || landedBatch3 === batch3 || landedBatch3 < batch3 / 3).toBe(true);
    expect((await landed(prefix)).rows).toBe(valid(1, 4000) + landedBatch3);

    const logger = quietLogger();
    const summary = await ingest(t.store, file, 2_000, t.config, 'scoring_events', logger);
    expect(await landed(prefix)).toEqual({ rows: validLines(lines), distinct: validLines(lines) });
    expect(summary.alreadyLoaded).toBe(valid(1, 4000) + landedBatch3);
    expect(summary.loaded).toBe(validLines(lines) - summary.alreadyLoaded);
    expect(summary.skipped).toBe(lines.length - validLines(lines));
    expect(logger.info.mock.calls.map((c) => c[1])).toContain(
      `lines 4001–6000 were being sent when an earlier run stopped: ${landedBatch3} of their ${batch3} rows had landed, sent the other ${batch3 - landedBatch3}`,
    );
  });
});

describe('a file that already landed', () => {
  it('lands nothing new when run again, under its own name or another', async () => {
    const lines = pairLines('again', 1_500);
    const file = writeLines(t.dir, 'again.jsonl', lines);
    const first = await ingest(t.store, file, 1_000);
    expect(first).toMatchObject({ loaded: validLines(lines), alreadyLoaded: 0 });
    const second = await ingest(t.store, file, 1_000);
    expect(second).toMatchObject({ loaded: 0, alreadyLoaded: validLines(lines), skipped: first.skipped, lines: first.lines });
    // The same bad lines are reported every run.
    expect(second.errors).toEqual(first.errors);
    // Identity is the content: a copy under another name is the same file.
    const copy = await ingest(t.store, writeLines(t.dir, 'again-copy.jsonl', lines), 1_000);
    expect(copy).toMatchObject({ loaded: 0, alreadyLoaded: validLines(lines) });
    expect(await landed('again')).toEqual({ rows: validLines(lines), distinct: validLines(lines) });
  });

  it('keeps the batch size a file was started with', async () => {
    const lines = pairLines('size', 2_000);
    const file = writeLines(t.dir, 'size.jsonl', lines);
    await expect(ingest(crashing(t.store, 2, 'after the insert'), file, 700)).rejects.toThrow('killed');
    const logger = quietLogger();
    const summary = await ingest(t.store, file, 5_000, t.config, 'scoring_events', logger);
    expect(summary.loaded + summary.alreadyLoaded).toBe(validLines(lines));
    expect(await landed('size')).toEqual({ rows: validLines(lines), distinct: validLines(lines) });
    expect(logger.info.mock.calls.map((c) => c[1])).toContain('this file was started with batches of 700 lines; keeping them');
  });

  it('outcomes (ReplacingMergeTree, ordered by transaction id) resume the same way', async () => {
    const lines = Array.from({ length: 3_000 }, (_, i) => JSON.stringify(outcomeRow(i, { transaction_id: `out-${i}` })));
    const file = writeLines(t.dir, 'outcomes.jsonl', lines);
    await expect(ingest(crashing(t.store, 2, 'after the insert', undefined, 'outcomes'), file, 1_000, t.config, 'outcomes')).rejects.toThrow('killed');
    const summary = await ingest(t.store, file, 1_000, t.config, 'outcomes');
    expect(summary).toMatchObject({ loaded: 1_000, alreadyLoaded: 2_000 });
    const [row] = await t.store.select<{ rows: number; ids: number }>("SELECT count() AS rows, uniqExact(transaction_id) AS ids FROM outcomes WHERE startsWith(transaction_id, 'out-')");
    expect(row).toEqual({ rows: 3_000, ids: 3_000 });
  });
});

describe('a transaction whose rows straddle two partitions, one of them landed', () => {
  // Live at the last millisecond of a day, shadow at the first of the next: one id, two partitions, two parts.
  const straddling = (prefix: string) =>
    Array.from({ length: 30 }, (_, j) =>
      JSON.stringify(eventRow(j, { transaction_id: `${prefix}-${j >> 1}`, variant: j % 2 ? 'shadow' : 'live', event_time: j % 2 ? '2026-11-11 00:00:00.000' : '2026-11-10 23:59:59.999' })),
    );
  const day1 = (row: Record<string, unknown>) => String(row.event_time).startsWith('2026-11-10');

  it('stops with what to do when the table does not deduplicate inserts', async () => {
    const file = writeLines(t.dir, 'straddle.jsonl', straddling('straddle'));
    await expect(ingest(crashing(t.store, 2, 'part of the insert', day1), file, 10)).rejects.toThrow('killed');
    const error = await ingest(t.store, file, 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^lines 11–20 of this file were being sent to `scoring_events` when an earlier ingest stopped, and driftwatch cannot tell which of their 10 rows landed/);
    expect((error as Error).message).toMatch(/DELETE FROM `driftwatch`.`driftwatch_ingest_ledger` WHERE token = '[0-9a-f-]{36}'/);
    // Nothing was sent twice meanwhile: batch 1, and batch 2's first-day half.
    expect(await landed('straddle')).toEqual({ rows: 15, distinct: 15 });

    // Doing what it says: remove what landed of lines 11–20 and the batch's pending mark, then the same call.
    const token = /WHERE token = '([0-9a-f-]{36})'/.exec((error as Error).message)?.[1] ?? '';
    await t.store.command("DELETE FROM scoring_events WHERE transaction_id IN ('straddle-5', 'straddle-6', 'straddle-7', 'straddle-8', 'straddle-9')");
    await t.store.command(`DELETE FROM driftwatch.driftwatch_ingest_ledger WHERE token = {token:String}`, { token });
    await ingest(t.store, file, 10);
    expect(await landed('straddle')).toEqual({ rows: 30, distinct: 30 });
  });

  it('is sent again under its first token when the table drops repeated tokens (a user table driftwatch did not create)', async () => {
    await t.store.command(`CREATE TABLE events_dedup AS scoring_events ENGINE = MergeTree PARTITION BY toYYYYMMDD(event_time) ORDER BY (model, event_time)
      SETTINGS non_replicated_deduplication_window = 100`);
    const config = parseConfig({ store: { path: t.config.store.path }, tables: { events: 'events_dedup' } });
    const file = writeLines(t.dir, 'straddle-dedup.jsonl', straddling('dedup'));
    await expect(ingest(crashing(t.store, 2, 'part of the insert', day1, 'events_dedup'), file, 10, config, 'events_dedup')).rejects.toThrow('killed');
    expect(await landed('dedup', 'events_dedup')).toEqual({ rows: 15, distinct: 15 });
    const logger = quietLogger();
    const summary = await ingest(t.store, file, 10, config, 'events_dedup', logger);
    expect(summary.loaded + summary.alreadyLoaded).toBe(30);
    expect(await landed('dedup', 'events_dedup')).toEqual({ rows: 30, distinct: 30 });
    expect(logger.warn.mock.calls.map((c) => c[1])).toContain(
      'lines 11–20 were being sent when an earlier run stopped and which of their rows landed cannot be told from transaction ids; sent them again under their first token: the table drops rows repeating an insert token',
    );
  });
});
