// The rollup path gives the cycle a full recompute gives, on seeded data with every scenario, --at on and off the hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSource, rollupSource } from '../../src/aggregates/index.js';
import { runCycle } from '../../src/cycle.js';
import { refreshRollup, RollupState } from '../../src/rollup/index.js';
import { ROLLUP_KINDS } from '../../src/rollup/fingerprint.js';
import { readLedgers, sweepSuperseded } from '../../src/rollup/ledger.js';
import { ensureTables } from '../../src/setup.js';
import { seed, SCENARIOS } from '../../src/synth/index.js';
import { chTime } from '../../src/store/index.js';
import { eventRow, outcomeRow } from '../helpers/rows.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectSameCycle } from './compare.js';
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Store } from '../../src/store/index.js';

/** The store, with these engine settings on every statement the rollup sends (the same engine and data). */
function withSettings(store: Store, settings: ClickHouseSettings): Store {
  const all: ClickHouseSettings = { ...settings, output_format_json_quote_64bit_integers: 0 };
  return {
    kind: store.kind,
    location: store.location,
    client: store.client,
    async select<T>(query: string, params = {}) {
      return (await (await store.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: all })).json()) as T[];
    },
    async command(query: string, params = {}) {
      await store.client.command({ query, query_params: params, clickhouse_settings: all });
    },
    insert: (table, rows, name) => store.insert(table, rows, name),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

const END = new Date('2026-11-20T12:00:00Z');
let t: TempStore;

beforeAll(async () => {
  // Two windows: the rollup keeps running sums per window; the default four cost the raw side 4× and compare nothing more.
  // The performance monitor judges segments from 10 events of each class: this file compares numbers, at 10k a day.
  t = await tempStore({ windows: { current: ['1h', '24h'], maturity: '2h' }, features: ['amount_z', 'device_risk', 'card_network'], featureColumns: ['card_network'], minVolume: 200, monitors: { performance: { enabled: true, minMinority: 10 } } });
  await ensureTables(t.store, t.config);
  // Every incident scenario but the experiments (ab-*): a cycle with one is compared in test/monitors/experiments.test.ts.
  await seed(t.store, t.config, { days: 9, end: END, seed: 11, scenarios: SCENARIOS.filter((s) => !s.startsWith('ab-')), eventsPerDay: 10_000, delays: 'slow' });
});
afterAll(() => t.cleanup());

/**
 * One rollup state for the whole file, as a daemon keeps one: its running window sums and strips move from cycle
 * to cycle, and every refresh goes through it (as the daemon's do), so its ledger snapshot follows their writes.
 */
const kept = new RollupState();
const refresh = (at: Date, store: Store = t.store) => refreshRollup(store, t.config, at, { state: kept });

async function both(at: Date, store: Store = t.store) {
  const raw = await runCycle(t.store, t.config, { at, source: rawSource(t.store, t.config) });
  const rollup = await runCycle(store, t.config, { at, source: rollupSource(store, t.config, kept) });
  return { raw, rollup };
}

/** The store, recording the name and parameters of every select (what the rollup asked of it). */
function recorded(): { store: Store; calls: { name: string; params: Record<string, unknown> }[] } {
  const calls: { name: string; params: Record<string, unknown> }[] = [];
  const select: Store['select'] = (query, params = {}, name = '') => (calls.push({ name, params }), t.store.select(query, params, name));
  const store = new Proxy(t.store, {
    get: (target, prop) => {
      if (prop === 'select') return select;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, calls };
}

/** The parameters of each label-sums delta a cycle read, and how many hours each took away. */
const labelDeltas = (calls: { name: string; params: Record<string, unknown> }[]) => calls.filter((c) => c.name === 'rollup_labels_delta').map((c) => c.params);
const taken = (params: Record<string, unknown>) => (params.subs as number[][]).flat().length;

/** A cycle read from the rollup by a process of its own (cold state). */
const fresh = (at: Date) => runCycle(t.store, t.config, { at, source: rollupSource(t.store, t.config, new RollupState()) });

describe('a cycle read from the rollup', () => {
  it('equals the full recompute with --at on the hour (cold start: refresh backfills the windows)', async () => {
    const summary = await refresh(END);
    expect(summary.folded.events).toBeGreaterThan(8 * 24);
    // Shadow pairs fold once matured: the 24 hours of the matured current window (the last two hours stay raw).
    expect(summary.folded.shadow).toBe(24);
    const { raw, rollup } = await both(END);
    expect(raw.findings.length).toBeGreaterThan(0);
    // The scenarios' shadows are judged, from folded hours and raw pieces alike.
    expect(raw.shadow.length).toBeGreaterThan(1);
    expect(raw.evaluations.some((e) => e.monitor === 'shadow')).toBe(true);
    // The performance monitor's per-outcome cells and log loss are compared too (they are evaluations like any other).
    expect(raw.evaluations.filter((e) => e.monitor === 'performance').length).toBeGreaterThanOrEqual(6);
    // A categorical feature (card_network, a String column) beside the features map's keys.
    expect(raw.evaluations.some((e) => e.monitor === 'psi' && e.feature === 'card_network')).toBe(true);
    expectSameCycle(rollup, raw);
  });

  it('equals the full recompute with --at off the hour (partial hours from the raw tables)', async () => {
    const at = new Date(END.getTime() - 26 * 60_000 - 123);
    await refresh(at);
    const { raw, rollup } = await both(at);
    expectSameCycle(rollup, raw);
  });

  it('equals the full recompute with nothing folded, and with a rollup refreshed at another time', async () => {
    const at = new Date(END.getTime() - 3 * 3_600_000 - 17 * 60_000);
    const { raw, rollup } = await both(at);
    expectSameCycle(rollup, raw);
  });
});

describe('maintenance', () => {
  const psiOf = (r: Awaited<ReturnType<typeof runCycle>>, issuer: string) =>
    r.evaluations.find((e) => e.monitor === 'psi' && e.feature === 'score' && e.model === 'card-auth' && e.segment.issuer === issuer && e.segment.region === 'NA');

  it('an old hour ingested after a cycle is re-folded and shows in the next cycle', async () => {
    const before = await fresh(END);
    const hour = END.getTime() - 3 * 86_400_000 - 2 * 3_600_000;
    const late = Array.from({ length: 400 }, (_, i) =>
      eventRow({ time: new Date(hour + i * 7_000), id: `late-${i}`, issuer: 'Northbank', region: 'NA', score: 0.02, version: 'v41' }),
    );
    await t.store.insert('scoring_events', late);
    const summary = await refresh(END);
    expect(summary.refolded.events).toBe(1);
    expect(summary.folded.events).toBe(0);
    const { raw, rollup } = await both(END);
    expectSameCycle(rollup, raw);
    expect(psiOf(rollup, 'Northbank')?.nReference).toBe((psiOf(before, 'Northbank')?.nReference ?? 0) + 400);
  });

  it('late outcomes (inserted late, arrived within maturity) are re-folded and show in the next cycle', async () => {
    const windows = { from: chTime(END.getTime() - 26 * 3_600_000), to: chTime(END.getTime() - 2 * 3_600_000) };
    const unlabeled = await t.store.select<{ transaction_id: string; ms: number }>(
      `SELECT transaction_id, toUnixTimestamp64Milli(event_time) AS ms FROM scoring_events
       WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
         AND transaction_id NOT IN (SELECT transaction_id FROM outcomes)
       ORDER BY transaction_id LIMIT 300`,
      windows,
    );
    expect(unlabeled.length).toBeGreaterThan(50);
    const before = await fresh(END);
    // The kept state's running sums hold every hour before the outcomes land.
    await refresh(END);
    await runCycle(t.store, t.config, { at: END, source: rollupSource(t.store, t.config, kept) });
    await t.store.insert(
      'outcomes',
      unlabeled.map((e) => outcomeRow(e.transaction_id, new Date(Number(e.ms) + 60_000), 1)),
    );
    const summary = await refresh(END);
    expect(summary.refolded.labels).toBeGreaterThan(0);
    expect(summary.refolded.shadow).toBeGreaterThan(0);
    const reads = recorded();
    const { raw, rollup } = await both(END, reads.store);
    expectSameCycle(rollup, raw);
    expect(rollup.quality.missingOutcomes).toBe(before.quality.missingOutcomes - unlabeled.length);
    // The running sums took the re-folded hours away at their old versions and added the new ones: no rebuild.
    expect(labelDeltas(reads.calls).length).toBeGreaterThan(0);
    for (const params of labelDeltas(reads.calls)) expect(taken(params)).toBeGreaterThan(0);
  });

  it('late orphan outcomes, then the late events that match them, are re-folded and show in the next cycles', async () => {
    const before = await fresh(END);
    const hour = END.getTime() - 5 * 3_600_000;
    const ids = Array.from({ length: 30 }, (_, i) => `orphan-late-${i}`);
    await t.store.insert(
      'outcomes',
      ids.map((id, i) => outcomeRow(id, new Date(hour + 600_000 + i * 1_000), 1)),
    );
    let summary = await refresh(END);
    expect(summary.refolded.orphans).toBe(1);
    let cycles = await both(END);
    expectSameCycle(cycles.rollup, cycles.raw);
    expect(cycles.rollup.quality.orphanOutcomes).toBe((before.quality.orphanOutcomes ?? 0) + ids.length);

    // Their events land late, an hour before the outcomes: ten of the thirty are no longer orphans.
    await t.store.insert(
      'scoring_events',
      ids.slice(0, 10).map((id, i) => eventRow({ time: new Date(hour - 3_600_000 + i * 1_000), id, issuer: 'Northbank', region: 'NA', score: 0.4, version: 'v41' })),
    );
    summary = await refresh(END);
    expect(summary.refolded.orphans).toBeGreaterThan(0);
    cycles = await both(END);
    expectSameCycle(cycles.rollup, cycles.raw);
    expect(cycles.rollup.quality.orphanOutcomes).toBe((before.quality.orphanOutcomes ?? 0) + ids.length - 10);
  });

  it('late shadow pairs in a folded hour are re-folded and show in the next cycle', async () => {
    const before = await fresh(END);
    const hour = END.getTime() - 10 * 3_600_000;
    const spec = (i: number) => ({ time: new Date(hour + i * 9_000), id: `late-pair-${i}`, issuer: 'Northbank', region: 'NA', score: 0.9, decision: 'approve' });
    await t.store.insert('scoring_events', [
      ...Array.from({ length: 300 }, (_, i) => eventRow({ ...spec(i), version: 'v41' })),
      // The shadow scores a few seconds after live: still one pair.
      ...Array.from({ length: 300 }, (_, i) => eventRow({ ...spec(i), time: new Date(hour + i * 9_000 + 4_000), variant: 'shadow', version: 'v42', score: 0.2, decision: 'decline' })),
    ]);
    await t.store.insert('outcomes', Array.from({ length: 300 }, (_, i) => outcomeRow(`late-pair-${i}`, new Date(hour + i * 9_000 + 60_000), 1)));
    const summary = await refresh(END);
    expect(summary.refolded.shadow).toBeGreaterThan(0);
    const { raw, rollup } = await both(END);
    expectSameCycle(rollup, raw);
    const matched = (r: typeof before) => r.shadow.find((v) => v.shadowVersion === 'v42')?.details?.nMatched as number;
    expect(matched(rollup)).toBe(matched(before) + 300);
  });

  it('five-minute cycles off the hour, with late events and outcomes landing in kept strips, equal the full recompute', async () => {
    const DAY = 86_400_000;
    for (let k = 0; k < 5; k++) {
      const at = new Date(END.getTime() - 50 * 60_000 + k * 5 * 60_000 + 1_234);
      const refFrom = at.getTime() - DAY - 7 * DAY;
      if (k === 2) {
        // Events inside a whole strip of the reference's first edge hour, which the last cycle read and kept.
        const late = Array.from({ length: 300 }, (_, i) =>
          eventRow({ time: new Date(refFrom + 10 * 60_000 + i * 900), id: `strip-late-${i}`, issuer: 'Northbank', region: 'NA', score: 0.03, version: 'v41' }),
        );
        await t.store.insert('scoring_events', late);
      }
      if (k === 3) {
        // Corrected outcomes (the issuer's answer replaced, within maturity) for events of the matured reference's
        // first edge hour, whose strips the last cycle kept.
        const matured = { from: chTime(refFrom - 2 * 3_600_000 + 5 * 60_000), to: chTime(refFrom - 2 * 3_600_000 + 40 * 60_000) };
        const labeled = await t.store.select<{ transaction_id: string; approved: number; last: number }>(
          `SELECT transaction_id, argMax(approved, outcome_time) AS approved, toUnixTimestamp64Milli(max(outcome_time)) AS last FROM outcomes
           WHERE transaction_id IN (SELECT transaction_id FROM scoring_events
             WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')})
           GROUP BY transaction_id ORDER BY transaction_id LIMIT 200`,
          matured,
        );
        expect(labeled.length).toBeGreaterThan(20);
        await t.store.insert('outcomes', labeled.map((o) => outcomeRow(o.transaction_id, new Date(Number(o.last) + 1), 1 - Number(o.approved))));
      }
      await refresh(at);
      // The first two cycles read and keep the strips the late rows land in; the cycles after the landings compare.
      if (k < 2) {
        await runCycle(t.store, t.config, { at, source: rollupSource(t.store, t.config, kept) });
        continue;
      }
      const { raw, rollup } = await both(at);
      expectSameCycle(rollup, raw);
    }
  });

  it('outcomes corrected hours after their events, and duplicated, are re-folded; a merge of the outcomes table changes nothing', async () => {
    // Labeled live events of the matured current window; each gets a second outcome, label flipped, 3 h after it.
    const span = { from: chTime(END.getTime() - 25 * 3_600_000), to: chTime(END.getTime() - 4 * 3_600_000) };
    const labeled = await t.store.select<{ transaction_id: string; approved: number; ms: number }>(
      `SELECT o.transaction_id AS transaction_id, argMax(o.approved, o.outcome_time) AS approved, toUnixTimestamp64Milli(any(e.event_time)) AS ms
       FROM outcomes AS o INNER JOIN (SELECT transaction_id, event_time FROM scoring_events
         WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}) AS e
       ON o.transaction_id = e.transaction_id
       GROUP BY transaction_id ORDER BY cityHash64(transaction_id) LIMIT 400`,
      span,
    );
    expect(labeled.length).toBe(400);
    const before = await fresh(END);
    const corrections = labeled.map((o) => outcomeRow(o.transaction_id, new Date(Number(o.ms) + 3 * 3_600_000), 1 - Number(o.approved)));
    await t.store.insert('outcomes', corrections);
    // The same corrections delivered twice: a duplicate changes no label.
    await t.store.insert('outcomes', corrections.slice(0, 100));
    const summary = await refresh(END);
    expect(summary.refolded.labels).toBeGreaterThan(0);
    const corrected = await both(END);
    expectSameCycle(corrected.rollup, corrected.raw);
    // Corrections are no orphans (their events are hours, not days, before them), and relabel, never unlabel.
    expect(corrected.rollup.quality.orphanOutcomes).toBe(before.quality.orphanOutcomes);
    expect(corrected.rollup.quality.missingOutcomes).toBe(before.quality.missingOutcomes);

    // A merge keeps the latest row per transaction: the rule's own choice, so nothing moves.
    await t.store.command('OPTIMIZE TABLE outcomes FINAL');
    await refresh(END);
    const merged = await both(END);
    expectSameCycle(merged.rollup, merged.raw);
    expectSameCycle(merged.raw, corrected.raw);
  });

  it('scores of 1.7, -0.2, NaN and Inf landing in a folded hour fold with the expression compiler off and on', async () => {
    const hour = END.getTime() - 7 * 3_600_000;
    const bad = [1.7, -0.2, Number.NaN, Infinity, -Infinity].flatMap((score, k) =>
      Array.from({ length: 4 }, (_, i) => eventRow({ time: new Date(hour + (k * 4 + i) * 60_000), id: `bad-${k}-${i}`, issuer: 'Northbank', region: 'NA', score, version: 'v41' })),
    );
    const before = await fresh(END);
    await t.store.insert('scoring_events', bad.slice(0, 10));
    // ClickHouse compiles an expression only after it has run a few times: test both ways explicitly.
    let summary = await refresh(END, withSettings(t.store, { compile_expressions: 0 }));
    expect(summary.refolded.events).toBe(1);
    await t.store.insert('scoring_events', bad.slice(10));
    summary = await refresh(END, withSettings(t.store, { compile_expressions: 1, min_count_to_compile_expression: '0' }));
    expect(summary.refolded.events).toBe(1);
    // The kept state's store reads the ledger those folds wrote (as the daemon's next refresh would).
    summary = await refresh(END);
    expect(summary.refolded.events).toBe(0);
    const { raw, rollup } = await both(END);
    expectSameCycle(rollup, raw);
    expect(rollup.quality.badScores).toBe(before.quality.badScores + bad.length);
  });

  it('sweeping superseded rows leaves only the ledger\'s versions and the cycle unchanged; running sums that held swept rows rebuild', async () => {
    const superseded = async () => {
      const [row] = await t.store.select<{ n: number }>(
        `SELECT count() AS n FROM driftwatch.driftwatch_rollup_labels AS r
         INNER JOIN (SELECT hour, max(version) AS v FROM driftwatch.driftwatch_rollup_ledger WHERE kind = 'labels' GROUP BY hour) AS l ON r.hour = l.hour
         WHERE r.version < l.v`,
      );
      return Number(row?.n ?? 0);
    };
    // The kept state's sums hold every hour; then corrected outcomes re-fold one matured hour, and the sweep deletes
    // the version of it the sums hold.
    await refresh(END);
    await runCycle(t.store, t.config, { at: END, source: rollupSource(t.store, t.config, kept) });
    const from = END.getTime() - 9 * 3_600_000;
    const events = await t.store.select<{ transaction_id: string }>(
      `SELECT transaction_id FROM scoring_events
       WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
       ORDER BY transaction_id LIMIT 20`,
      { from: chTime(from), to: chTime(from + 3_600_000) },
    );
    expect(events).toHaveLength(20);
    await t.store.insert('outcomes', events.map((e) => outcomeRow(e.transaction_id, new Date(END.getTime() - 600_000), 0)));
    expect((await refresh(END)).refolded.labels).toBeGreaterThan(0);
    expect(await superseded()).toBeGreaterThan(0);
    const snapshot = await readLedgers(t.store, t.config);
    for (const kind of ROLLUP_KINDS) {
      const fingerprint = [...(snapshot.fingerprints.get(kind) ?? [])][0];
      if (fingerprint) await sweepSuperseded(t.store, t.config, kind, snapshot.ledger(kind, fingerprint));
    }
    expect(await superseded()).toBe(0);
    const reads = recorded();
    const { raw, rollup } = await both(END, reads.store);
    expectSameCycle(rollup, raw);
    // The check asked for the swept hour's held version and found it gone, and the sums were read afresh (nothing
    // taken away).
    const hour = new Date(from).toISOString().slice(0, 19).replace('T', ' ');
    expect(reads.calls.some((c) => c.name === 'rollup held rows' && (c.params.hours as string[]).includes(hour))).toBe(true);
    expect(labelDeltas(reads.calls).length).toBeGreaterThan(0);
    for (const params of labelDeltas(reads.calls)) expect(taken(params)).toBe(0);
  });

  it('a steady refresh with nothing new folds and re-folds nothing', async () => {
    const summary = await refresh(END);
    expect(summary.folded).toEqual({ events: 0, labels: 0, features: 0, orphans: 0, shadow: 0 });
    expect(summary.refolded).toEqual({ events: 0, labels: 0, features: 0, orphans: 0, shadow: 0 });
  });
});
