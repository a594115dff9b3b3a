// `driftwatch advise`: on the seeded schema it advises a min-max index on outcome_time (outcomes are ordered by
// transaction id) and nothing on events (partitioned by day), sends only reads, and the DDL it prints parses and,
// applied, cuts the granules the measured read selects.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advise, type AdviceDocument } from '../../src/cli/advice/advice.js';
import { explainRead, tableFacts } from '../../src/cli/advice/measure.js';
import { plannedReads } from '../../src/cli/advice/reads.js';
import { parseConfig } from '../../src/config/index.js';
import { seed } from '../../src/synth/index.js';
import { cliInProcess as cli } from '../helpers/cli-in-process.js';
import { recording, tempStore, type TempStore } from '../helpers/store.js';

const END = new Date('2026-11-20T00:00:00Z');
/** A cycle as of the data's end: its label strip reads the newest outcomes. */
const AT = END;



const EXPECTED_DDL = [
  'ALTER TABLE `default`.`outcomes` ADD INDEX IF NOT EXISTS `dw_outcome_time` `outcome_time` TYPE minmax GRANULARITY 1',
  'ALTER TABLE `default`.`outcomes` MATERIALIZE INDEX `dw_outcome_time`',
];

describe('driftwatch advise on the seeded schema', () => {
  let t: TempStore;
  let file: string;
  let doc: AdviceDocument;
  let statements: string[];

  beforeAll(async () => {
    t = await tempStore();
    // Ten days, one insert per day of each table: events partitioned by day, outcomes in parts of their days.
    await seed(t.store, t.config, { days: 10, end: END, seed: 3, scenarios: [], eventsPerDay: 40_000 });
    file = join(t.dir, 'driftwatch.yaml');
    writeFileSync(file, `store:\n  path: ${join(t.dir, 'data')}\n`);
    const store = recording(t.store);
    doc = await advise(store, t.config, AT);
    statements = store.statements;
  });
  afterAll(() => t?.cleanup());

  it('sends only reads: SELECT and EXPLAIN, nothing that writes or alters', () => {
    expect(statements.length).toBeGreaterThan(10);
    const others = statements.filter((sql) => !/^(\s*--[^\n]*\n)*\s*(SELECT|WITH|EXPLAIN)\b/i.test(sql));
    expect(others).toEqual([]);
    expect(statements.some((sql) => /^\s*EXPLAIN json = 1, indexes = 1\b/.test(sql))).toBe(true);
  });

  it('measures the tables and the cold and steady reads', () => {
    const outcomes = doc.tables.find((x) => x.key === 'outcomes');
    expect(outcomes).toMatchObject({ engine: 'ReplacingMergeTree', sortingKey: 'transaction_id', partitionKey: '', skipIndexes: [] });
    expect(outcomes?.rows).toBeGreaterThan(100_000);
    const events = doc.tables.find((x) => x.key === 'events');
    expect(events).toMatchObject({ engine: 'MergeTree', partitionKey: 'toYYYYMMDD(event_time)' });
    expect(doc.reads.map((r) => r.id)).toEqual(['cold.events_fold', 'cold.labels_fold', 'steady.labels_fold', 'steady.orphans_fold', 'steady.shadow_fold', 'steady.score_strip', 'steady.label_strip']);
    for (const read of doc.reads) {
      expect(read.scans.length, read.id).toBeGreaterThan(0);
      for (const scan of read.scans) expect(scan.granules.selected, read.id).toBeLessThanOrEqual(scan.granules.total);
    }
    // Events are partitioned by day: a five-minute strip reads one day's part.
    const strip = doc.reads.find((r) => r.id === 'steady.score_strip');
    expect(strip?.scans[0]?.parts).toMatchObject({ selected: 1, total: events?.parts });
  });

  it('advises a min-max index on outcome_time, with its gain and cost, and nothing on events', () => {
    expect(doc.advice).toHaveLength(1);
    const [advice] = doc.advice;
    expect(advice).toMatchObject({ key: 'outcomes', column: 'outcome_time', configKey: 'columns.outcomes.outcome_time', index: 'dw_outcome_time', ddl: EXPECTED_DDL });
    const strip = advice?.gains.find((g) => g.read === 'steady.label_strip');
    expect(strip?.expected).toBeLessThan(strip?.now ?? 0);
    expect(advice?.cost.indexBytes).toBeGreaterThan(0);
    // A min and a max per 8,192 rows against a value per row.
    const outcomes = doc.tables.find((x) => x.key === 'outcomes');
    expect(advice?.cost.indexBytes).toBeLessThan(((outcomes?.rows ?? 0) * 8) / 100);
    expect(doc.notes.some((n) => /^events .*no index advised on event_time: its reads by event_time prune already \(partitioned by toYYYYMMDD\(event_time\)\)/.test(n))).toBe(true);
    expect(doc.notes.some((n) => /^outcomes .*no projection advised: it is a ReplacingMergeTree/.test(n))).toBe(true);
  });

  it('every statement it prints parses', async () => {
    for (const q of EXPECTED_DDL) {
      const [row] = await t.store.select<{ f: string }>('SELECT formatQuerySingleLine({q:String}) AS f', { q });
      expect(row?.f).toMatch(/^ALTER TABLE default\.outcomes /);
    }
  });

  it('the command prints the advice and exits 0; --json prints the same as one document', async () => {
    const text = await cli(['advise', '--config', file, '--at', AT.toISOString()]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('sent reads only (SELECT, EXPLAIN), nothing was changed');
    for (const statement of EXPECTED_DDL) expect(text.stdout).toContain(`${statement};`);
    expect(text.stdout).toMatch(/label strip that matured \(2026-11-19 23:5\d, 5 min\): \d+ → ~\d+ of \d+ \(−\d+ %\)/);
    expect(text.stdout).toMatch(/MATERIALIZE INDEX is a mutation: it reads outcome_time once from each of the \d+ active parts/);
    const json = await cli(['advise', '--config', file, '--at', AT.toISOString(), '--json']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as AdviceDocument;
    expect(parsed.statements).toBe('SELECT and EXPLAIN only');
    expect(parsed.advice.map((a) => a.ddl)).toEqual([EXPECTED_DDL]);
  });

  it('--help exits 0; a bad --at or a missing source table exits 2, naming it', async () => {
    const help = await cli(['advise', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: driftwatch advise');
    expect((await cli(['advise', '--config', file, '--at', 'yesterday-ish'])).code).toBe(2);
    const missing = join(t.dir, 'missing.yaml');
    writeFileSync(missing, `store:\n  path: ${join(t.dir, 'data')}\ntables: { events: no_such_events }\n`);
    const out = await cli(['advise', '--config', missing]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('table no_such_events (tables.events) does not exist');
  });

  it('on events neither partitioned nor ordered by time it advises a min-max index on event_time; an expression mapping it leaves alone', async () => {
    // The seeded events again, ordered by segment only and inserted a day at a time (a part per insert, as a feed makes them).
    await t.store.command('CREATE TABLE events_flat AS scoring_events ENGINE = MergeTree PARTITION BY tuple() ORDER BY (model, variant, issuer, region)');
    for (let day = 10; day >= 1; day--) {
      const from = new Date(END.getTime() - day * 86_400_000).toISOString().slice(0, 10);
      await t.store.command(`INSERT INTO events_flat SELECT * FROM scoring_events WHERE toDate(event_time) = {day:Date}`, { day: from });
    }
    const config = parseConfig({ store: { path: join(t.dir, 'data') }, tables: { events: 'events_flat' }, columns: { outcomes: { outcome_time: "toDateTime64(outcome_time, 3, 'UTC')" } } });
    const flat = await advise(t.store, config, AT);
    expect(flat.advice.map((a) => [a.key, a.column, a.ddl[0]])).toEqual([
      ['events', 'event_time', 'ALTER TABLE `default`.`events_flat` ADD INDEX IF NOT EXISTS `dw_event_time` `event_time` TYPE minmax GRANULARITY 1'],
    ]);
    const strip = flat.advice[0]?.gains.find((g) => g.read === 'steady.score_strip');
    expect(strip?.expected).toBeLessThan(strip?.now ?? 0);
    expect(flat.notes.some((n) => /^events .*partitioned by day of event_time .* would prune whole parts by time; that is a rebuild/.test(n))).toBe(true);
    expect(flat.notes.some((n) => /^outcomes .*columns\.outcomes\.outcome_time is an expression .*advice cannot use it/.test(n))).toBe(true);
  });

  it('applied, it cuts the granules the label strip reads of outcomes; the index skips a new part of other times; advise then advises nothing more', async () => {
    const before = doc.reads.find((r) => r.id === 'steady.label_strip')?.scans.find((s) => s.key === 'outcomes')?.granules.selected ?? 0;
    const expected = doc.advice[0]?.gains.find((g) => g.read === 'steady.label_strip')?.expected ?? 0;
    await t.store.command(EXPECTED_DDL[0] as string);
    await t.store.command(`${EXPECTED_DDL[1]} SETTINGS mutations_sync = 2`);
    const read = plannedReads({ ...t.config, windows: { ...t.config.windows, maturity: doc.maturity.ms } }, AT, 1_000).find((r) => r.id === 'steady.label_strip');
    const outcomesScan = async () => {
      const tables = [await tableFacts(t.store, t.config, 'events'), await tableFacts(t.store, t.config, 'outcomes')];
      return (await explainRead(t.store, read!, tables)).find((s) => s.key === 'outcomes');
    };
    const after = await outcomesScan();
    expect(after?.granules.selected).toBeLessThan(before);
    // The estimate was made on the same parts (the mutation rewrites each, merges nothing).
    expect(after?.granules.selected).toBeLessThanOrEqual(expected);
    // Corrections of old transactions land in a new part, which has no statistics yet: the index skips it. (Ids
    // spread over the key's range like the seeded ones, so the primary key cannot skip the part first.)
    await t.store.command(
      "INSERT INTO outcomes SELECT lower(hex(cityHash64(number))), toDateTime64('2026-11-13 00:00:00', 3, 'UTC') + number, 1, NULL FROM numbers(20000)",
    );
    const skip = (await outcomesScan())?.steps.find((s) => s.type === 'Skip' && s.name === 'dw_outcome_time');
    expect(skip).toBeDefined();
    expect(skip!.granules.selected).toBeLessThan(skip!.granules.total);
    const again = await advise(t.store, t.config, AT);
    expect(again.advice).toEqual([]);
    expect(again.notes.some((n) => /has the minmax index dw_outcome_time on outcome_time already/.test(n))).toBe(true);
  });
});
