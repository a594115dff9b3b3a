// Categorical feature drift (README, "How findings are judged"): a String column named in `features` is binned by
// its reference's most frequent values plus "other", judged by the PSI monitor like any feature, the same from the
// raw tables and from the rollup.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFeatureEdges, saveFeatureEdges } from '../../src/aggregates/feature-edges.js';
import { rawSource } from '../../src/aggregates/source.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import type { Evaluation } from '../../src/core/types.js';
import { runCycle } from '../../src/cycle.js';
import { psiMonitor, type PsiDetails } from '../../src/monitors/psi/index.js';
import { psiPresentation } from '../../src/monitors/psi/present.js';
import { prepareCycle } from '../../src/prepare.js';
import { featuresFingerprint } from '../../src/rollup/fingerprint.js';
import { ensureTables } from '../../src/setup.js';
import { categoriesExpression, checkSources, resolveFeatureColumns } from '../../src/store/index.js';
import { seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const END = new Date('2026-11-20T12:00:00Z');
const HOUR_MS = 3_600_000;

/** A logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: () => { msg: string; model?: string; feature?: string; distinct?: number }[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string }) };
}

const region = (e: Evaluation) => e.segment.region;
const networkEvaluations = (evaluations: Evaluation[]) => evaluations.filter((e): e is Evaluation<PsiDetails> => e.monitor === 'psi' && e.feature === 'card_network');

describe('categorical features', () => {
  let t: TempStore;
  let config: Config;
  /** Tests of the bins themselves run the PSI monitor alone (the first test runs them all: its FDR family is the cycle's). */
  const PSI_ONLY = [psiMonitor];
  beforeAll(async () => {
    t = await tempStore();
    const base = parseConfig({ store: { path: t.config.store.path }, windows: { current: '24h' }, features: ['amount_z', 'card_network'] });
    await ensureTables(t.store, base);
    await seed(t.store, base, { days: 9, end: END, seed: 3, scenarios: ['network-shift'], eventsPerDay: 30_000 });
    const check = await checkSources(t.store, base);
    expect(check.problems).toEqual([]);
    config = check.config;
  }, 180_000);
  afterAll(() => t.cleanup());

  it('are told from the events table: a String column is categorical, a map key stays numeric', () => {
    expect(config.featureColumns).toEqual(['card_network']);
  });

  it('find the shifted network mix in MEA at critical, nothing elsewhere, the same from the raw tables and from the rollup', async () => {
    const raw = await runCycle(t.store, config, { at: END });
    const rolled = await runCycle(t.store, config, await prepareCycle(t.store, config, END));
    const rows = (r: typeof raw) => networkEvaluations(r.evaluations).map((e) => [JSON.stringify(e.segment), e.value, e.pValue, e.severity, e.details?.referenceBins, e.details?.currentBins, e.details?.other]);
    expect(rows(raw).length).toBeGreaterThan(10);
    expect(rows(rolled)).toEqual(rows(raw));

    const findings = raw.findings.filter((f) => f.monitor === 'psi' && f.feature === 'card_network');
    const mea = findings.filter((f) => region(f) === 'MEA');
    expect(mea.length).toBeGreaterThan(0);
    expect(mea.every((f) => f.severity === 'critical')).toBe(true);
    expect(findings.filter((f) => region(f) !== 'MEA')).toEqual([]);
    // Every MEA segment of card-auth (the scenario's model) moved.
    for (const e of networkEvaluations(raw.evaluations).filter((x) => region(x) === 'MEA' && x.model === 'card-auth')) expect(e.value).toBeGreaterThan(0.25);
    // Four networks seen in the reference: four categories plus "other", which nothing falls in.
    const anyOne = networkEvaluations(raw.evaluations)[0];
    expect(anyOne?.details?.referenceBins).toHaveLength(5);
    expect(anyOne?.details?.other).toEqual({ reference: 0, current: 0 });
    // The numeric map feature is still judged beside it.
    expect(raw.evaluations.some((e) => e.monitor === 'psi' && e.feature === 'amount_z')).toBe(true);
  }, 180_000);

  it('count a value never seen in the reference as "other", with its share in both windows, and say so in words', async () => {
    const [largest] = await t.store.select<{ issuer: string; n: number }>(
      `SELECT issuer, count() AS n FROM scoring_events WHERE region = 'EU' AND model = 'card-auth' AND variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} GROUP BY issuer ORDER BY n DESC LIMIT 1`,
      { from: new Date(END.getTime() - 24 * HOUR_MS).toISOString().replace('T', ' ').replace('Z', '') },
      'test',
    );
    const issuer = largest?.issuer as string;
    // A new network for a third of that segment's current traffic: copies of its rows under new transaction ids.
    await t.store.command(
      `INSERT INTO scoring_events SELECT * REPLACE ('UNIONPAY' AS card_network, concat(transaction_id, '-u') AS transaction_id) FROM scoring_events
       WHERE region = 'EU' AND issuer = {issuer:String} AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')} AND cityHash64(transaction_id) % 2 = 0`,
      { issuer, from: new Date(END.getTime() - 24 * HOUR_MS).toISOString().replace('T', ' ').replace('Z', ''), to: END.toISOString().replace('T', ' ').replace('Z', '') },
      'test',
    );
    const raw = await runCycle(t.store, config, { at: END, monitors: PSI_ONLY });
    const rolled = await runCycle(t.store, config, { ...(await prepareCycle(t.store, config, END)), monitors: PSI_ONLY });
    const ofSegment = (r: typeof raw) => networkEvaluations(r.evaluations).find((e) => e.segment.issuer === issuer && region(e) === 'EU');
    const e = ofSegment(raw);
    expect(e?.details?.other?.reference).toBe(0);
    // Half the rows copied: a third of the current window is UNIONPAY.
    expect(e?.details?.other?.current).toBeGreaterThan(0.28);
    expect(e?.details?.other?.current).toBeLessThan(0.39);
    expect(e?.details?.currentBins[0]).toBeGreaterThan(0);
    expect(e?.severity).toBe('critical');
    expect(ofSegment(rolled)?.details).toEqual(e?.details);
    const words = psiPresentation.measure(e as Evaluation<PsiDetails>).map((span) => (typeof span === 'string' ? span : 'bold' in span ? span.bold : 'value' in span ? span.value : '')).join('');
    expect(words).toMatch(/^PSI of card_network \d+(\.\d+)?; "other" 0\.0\s?% → 3\d\.\d\s?%$/);
  }, 180_000);

  it('keep the most frequent values up to monitors.psi.maxCategories, count the rest as "other" and say so in the log', async () => {
    // currency: one per region; at most two categories, so four regions' currencies are "other".
    const capped = { ...config, features: ['currency'], featureColumns: ['currency'], monitors: { ...config.monitors, psi: { ...config.monitors.psi, maxCategories: 2 } } };
    const { logger, lines } = capturingLogger();
    const result = await runCycle(t.store, capped, { at: END, logger, monitors: PSI_ONLY });
    const warnings = lines().filter((l) => l.feature === 'currency');
    // One line per model (both models learn their own bins).
    expect(warnings.map((l) => l.model).sort()).toEqual(['card-auth', 'retry-router']);
    const warning = warnings.find((l) => l.model === 'card-auth');
    expect(warning?.distinct).toBe(6);
    expect(warning?.msg).toMatch(/feature currency of card-auth had 6 distinct values in the reference: its 2 most frequent are its PSI bins, the other 4 count as "other"; raise monitors\.psi\.maxCategories/);
    const again = capturingLogger();
    await runCycle(t.store, capped, { at: END, logger: again.logger, monitors: PSI_ONLY });
    expect(again.lines().filter((l) => l.feature === 'currency')).toEqual([]);
    const edges = await rawSource(t.store, capped).featureEdges({ from: new Date(0), to: new Date(0) }, ['card-auth'], ['currency']);
    // The reference's two most frequent currencies, most frequent first.
    const top = await t.store.select<{ currency: string }>(
      `SELECT currency FROM scoring_events WHERE model = 'card-auth' AND variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')} GROUP BY currency ORDER BY count() DESC LIMIT 2`,
      { from: result.windows.reference.from.toISOString().replace('T', ' ').replace('Z', ''), to: result.windows.reference.to.toISOString().replace('T', ' ').replace('Z', '') },
      'test',
    );
    expect(edges.map((e) => e.categories)).toEqual([top.map((r) => r.currency)]);
    expect(edges[0]?.edges).toEqual([]);
    const currency = result.evaluations.filter((e): e is Evaluation<PsiDetails> => e.monitor === 'psi' && e.feature === 'currency');
    expect(currency.length).toBeGreaterThan(0);
    for (const e of currency) expect(e.details?.referenceBins).toHaveLength(3);
    // A segment of a region whose currency is not among the two: all of it is "other", in both windows, and no drift.
    const outside = currency.find((e) => e.model === 'card-auth' && !['EU', 'NA'].includes(region(e) ?? '') && e.details?.referenceBins[0] === e.nReference);
    expect(outside?.details?.other).toEqual({ reference: 1, current: 1 });
    expect(outside?.severity).toBe('ok');

    // The cap raised as the warning says: the bins that cut values off are learned again, every currency its own
    // bin and nothing "other"; with the cap back at 2, the bins learned under it serve again.
    const raised = { ...capped, monitors: { ...capped.monitors, psi: { ...capped.monitors.psi, maxCategories: 10 } } };
    const relearn = capturingLogger();
    const wide = await runCycle(t.store, raised, { at: END, logger: relearn.logger, monitors: PSI_ONLY });
    expect(relearn.lines().filter((l) => l.feature === 'currency')).toEqual([]);
    const all = wide.evaluations.filter((e): e is Evaluation<PsiDetails> => e.monitor === 'psi' && e.feature === 'currency');
    expect(all.length).toBeGreaterThan(0);
    for (const e of all) {
      expect(e.details?.referenceBins).toHaveLength(7);
      expect(e.details?.other).toEqual({ reference: 0, current: 0 });
    }
    const back = await runCycle(t.store, capped, { at: END, monitors: PSI_ONLY });
    for (const e of back.evaluations.filter((x): x is Evaluation<PsiDetails> => x.monitor === 'psi' && x.feature === 'currency')) expect(e.details?.referenceBins).toHaveLength(3);
  }, 180_000);

  it('keep the bins of each kind apart: a name once a map key and now a column is binned by its categories', async () => {
    const reference = { from: new Date(END.getTime() - 8 * 24 * HOUR_MS), to: new Date(END.getTime() - 24 * HOUR_MS) };
    await saveFeatureEdges(t.store, config, [{ model: 'card-auth', feature: 'card_network', edges: [0.5], categories: [] }], reference);
    const stored = (c: Config) => loadFeatureEdges(t.store, c).then((all) => all.filter((e) => e.model === 'card-auth' && e.feature === 'card_network'));
    expect((await stored(config)).map((e) => [e.edges, e.categories.length])).toEqual([[[], 4]]);
    expect((await stored({ ...config, featureColumns: [] })).map((e) => [e.edges, e.categories])).toEqual([[[0.5], []]]);
  });

  it('give the features rollup another fingerprint when the categories change', () => {
    const numeric = { model: 'm', feature: 'amount_z', edges: [0, 1], categories: [] };
    const a = featuresFingerprint(config, [numeric, { model: 'm', feature: 'card_network', edges: [], categories: ['VISA', 'AMEX'] }]);
    const b = featuresFingerprint(config, [numeric, { model: 'm', feature: 'card_network', edges: [], categories: ['VISA', 'MASTERCARD'] }]);
    expect(a).not.toBe(b);
  });

  it('read Enum, FixedString and Nullable columns by category: an Enum by its name, a short FixedString without its padding, a NULL as missing', async () => {
    await t.store.command(
      `CREATE TABLE cat_types (three_ds Enum8('challenged' = 1, 'frictionless' = 2), mcc Nullable(FixedString(4)), channel LowCardinality(Nullable(String)), attempts UInt8, flag Bool, at DateTime) ENGINE = Memory`,
    );
    await t.store.command(`INSERT INTO cat_types VALUES ('frictionless', '5411', NULL, 1, true, now()), ('challenged', NULL, 'web', 2, false, now()), ('challenged', '77', 'app', 3, true, now())`);
    const probe = parseConfig({ tables: { events: 'cat_types' }, features: ['three_ds', 'mcc', 'channel', 'attempts', 'flag', 'at', 'amount_z'] });
    const resolved = await resolveFeatureColumns(t.store, probe);
    expect(resolved.config.featureColumns).toEqual(['three_ds', 'mcc', 'channel']);
    expect(resolved.problems.map((p) => p.text)).toEqual([
      'cat_types: features lists attempts, a UInt8 column; numeric features come from the features map (columns.events.features), a column in features must be a String, FixedString or Enum',
      'cat_types: features lists flag, a Bool column; numeric features come from the features map (columns.events.features), a column in features must be a String, FixedString or Enum',
      "cat_types: features lists at, a DateTime column; a column in features must be a String, FixedString or Enum",
    ]);
    const rows = await t.store.select<{ categories: Record<string, string> }>(`SELECT ${categoriesExpression(resolved.config)} AS categories FROM cat_types ORDER BY attempts`);
    expect(rows.map((r) => r.categories)).toEqual([
      { three_ds: 'frictionless', mcc: '5411' },
      { three_ds: 'challenged', channel: 'web' },
      { three_ds: 'challenged', mcc: '77', channel: 'app' },
    ]);
    // Categories stored while values were read with their padding match the values as read now.
    await saveFeatureEdges(t.store, resolved.config, [{ model: 'padded', feature: 'mcc', edges: [], categories: ['5411', '77\0\0'] }], { from: END, to: END });
    const stored = (await loadFeatureEdges(t.store, resolved.config)).find((e) => e.model === 'padded');
    expect(stored?.categories).toEqual(['5411', '77']);
  });

  it('refuse a numeric column in features, naming it and where numeric features come from', async () => {
    const bad = parseConfig({ store: { path: t.config.store.path }, features: ['amount', 'card_network', 'amount_z'] });
    const check = await checkSources(t.store, bad);
    expect(check.problems).toEqual([
      { kind: 'type', text: 'scoring_events: features lists amount, a Float64 column; numeric features come from the features map (columns.events.features), a column in features must be a String, FixedString or Enum' },
    ]);
    const resolved = await resolveFeatureColumns(t.store, bad);
    expect(resolved.problems.map((p) => p.text)).toEqual(check.problems.map((p) => p.text));
    expect(resolved.config.featureColumns).toEqual(['card_network']);
  });
});
