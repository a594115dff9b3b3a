// A Replicated driftwatch database: its tables are created with Replicated engines, so rows (alert state, outbox,
// lease) are the same on every replica. No Keeper runs here, so the DDL is checked by the engine's parser only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicatedDdl } from '../../src/store/index.js';
import { ownTablesDdl } from '../../src/setup.js';
import { tempStore, type TempStore } from '../helpers/store.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

describe('replicatedDdl', () => {
  it('turns every own table into a Replicated engine the parser accepts, keeping the rest', async () => {
    const ddl = ownTablesDdl(t.config);
    expect(ddl.length).toBeGreaterThan(10);
    for (const original of ddl) {
      const replicated = replicatedDdl(original);
      expect(replicated, original).toMatch(/ENGINE = Replicated(Replacing)?MergeTree\b/);
      expect(replicated).not.toMatch(/non_replicated_deduplication_window/);
      if (/non_replicated_deduplication_window = (\d+)/.test(original)) expect(replicated).toMatch(/\breplicated_deduplication_window = \d+/);
      // The Replacing engines keep their version column; the table and columns are untouched.
      expect(replicated.replace(/Replicated(Replacing)?MergeTree/, '$1MergeTree').replace('replicated_deduplication_window', 'non_replicated_deduplication_window')).toBe(original);
      const [parsed] = await t.store.select<{ f: string }>('SELECT formatQuerySingleLine({q:String}) AS f', { q: replicated });
      expect(parsed?.f).toContain('Replicated');
    }
  });
});
