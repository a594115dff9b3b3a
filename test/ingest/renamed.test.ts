// Ingest follows the table's real columns: a config that renames columns and tables works unchanged.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestFile } from '../../src/ingest/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { eventRow, writeLines } from './rows.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore({ tables: { events: 'events_v2' }, columns: { events: { score: 'p_approve', variant: 'arm' } } });
});
afterAll(() => t.cleanup());

function renamedRow(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { score, variant, ...rest } = eventRow(i);
  return { ...rest, p_approve: score, arm: variant, ...overrides };
}

it('checks and loads rows by the configured column names', async () => {
  const file = writeLines(t.dir, 'renamed.jsonl', [
    renamedRow(1),
    renamedRow(2, { p_approve: 'NaN' }),
    eventRow(3),
    renamedRow(4, { arm: 'canary' }),
    renamedRow(5, { p_approve: 'abc' }),
  ]);
  const summary = await ingestFile(t.store, t.config, { table: 'events_v2', file });
  expect(summary).toMatchObject({ table: 'events_v2', loaded: 2, skipped: 3 });
  expect(summary.errors).toEqual([
    { line: 3, reason: 'missing column arm; missing column p_approve; unknown column "variant"; unknown column "score"' },
    { line: 4, reason: 'arm: must be "live" or "shadow", got string "canary"' },
    { line: 5, reason: 'p_approve: expected a number, got string "abc"' },
  ]);
  const rows = await t.store.select<{ id: string; nan: number; arm: string }>('SELECT transaction_id AS id, isNaN(p_approve) AS nan, arm FROM events_v2 ORDER BY id');
  expect(rows).toEqual([
    { id: 'tx-1', nan: 0, arm: 'shadow' },
    { id: 'tx-2', nan: 1, arm: 'live' },
  ]);
});

it('refuses the default table name once tables.events is renamed', async () => {
  const file = writeLines(t.dir, 'one.jsonl', [renamedRow(1)]);
  await expect(ingestFile(t.store, t.config, { table: 'scoring_events', file })).rejects.toThrow(/choose events_v2 \(tables\.events\) or outcomes/);
});
