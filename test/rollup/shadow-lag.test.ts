// Shadow rows scored up to an hour after their live rows: with a maturity shorter than that (learned from fast
// outcomes, say two minutes), a folded shadow hour must still count the pairs whose shadow row lands later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSource, rollupSource } from '../../src/aggregates/index.js';
import { runCycle } from '../../src/cycle.js';
import { shadowMonitor } from '../../src/monitors/shadow/index.js';
import { refreshRollup, RollupState } from '../../src/rollup/index.js';
import { eventRow, outcomeRow, rng } from '../helpers/rows.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectSameCycle } from './compare.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const START = Date.parse('2026-11-20T06:00:00Z');
let t: TempStore;

beforeAll(async () => {
  t = await tempStore({ windows: { current: '6h', reference: '1d', maturity: '2m' }, minVolume: 20 });
});
afterAll(() => t.cleanup());

/** Live rows from 06:00 to 11:00, one a minute per issuer; each shadow row `lag` after its live row. */
function traffic(lagOf: (liveTime: number) => number): { live: Record<string, unknown>[]; shadow: { time: number; row: Record<string, unknown> }[]; outcomes: Record<string, unknown>[] } {
  const next = rng(5);
  const live: Record<string, unknown>[] = [];
  const shadow: { time: number; row: Record<string, unknown> }[] = [];
  const outcomes: Record<string, unknown>[] = [];
  for (let time = START; time < START + 5 * HOUR; time += MIN) {
    for (const issuer of ['ISS-1', 'ISS-2']) {
      const id = `${issuer}-${time}`;
      const score = next();
      live.push(eventRow({ time: new Date(time), id, issuer, region: 'EU', score, version: 'v1', latency: 20 + 10 * next() }));
      const at = time + lagOf(time);
      shadow.push({ time: at, row: eventRow({ time: new Date(at), id, issuer, region: 'EU', score: Math.min(1, score * 0.9 + 0.05), variant: 'shadow', version: 'v2', latency: 25 + 10 * next() }) });
      outcomes.push(outcomeRow(id, new Date(time + MIN), next() < score ? 1 : 0));
    }
  }
  return { live, shadow, outcomes };
}

describe('shadow rows scored after their hour has matured', () => {
  it('a folded shadow hour counts the pairs whose shadow row came up to an hour later, as the raw path does', async () => {
    // Shadow scoring lags 40 minutes in the last hour before 10:00: its pairs straddle the hour boundary.
    const { live, shadow, outcomes } = traffic((time) => (time >= START + 3 * HOUR ? 40 * MIN : 1000));
    await t.store.insert('scoring_events', live);
    await t.store.insert('outcomes', outcomes);
    const state = new RollupState();
    const monitors = [shadowMonitor];
    // Each step lands the shadow rows scored by then, folds as the daemon does, and compares with the raw path.
    let landed = 0;
    const shadowFolds: number[] = [];
    for (const at of [START + 4 * HOUR + 5 * MIN, START + 4 * HOUR + 35 * MIN, START + 5 * HOUR + 5 * MIN, START + 5 * HOUR + 45 * MIN]) {
      const due = shadow.filter((s) => s.time < at).slice(landed);
      if (due.length > 0) await t.store.insert('scoring_events', due.map((s) => s.row));
      landed += due.length;
      shadowFolds.push((await refreshRollup(t.store, t.config, new Date(at), { state })).folded.shadow);
      const rollup = await runCycle(t.store, t.config, { at: new Date(at), monitors, source: rollupSource(t.store, t.config, state) });
      const raw = await runCycle(t.store, t.config, { at: new Date(at), monitors, source: rawSource(t.store, t.config) });
      expect(raw.shadow.length, new Date(at).toISOString()).toBe(1);
      const when = new Date(at).toISOString();
      const figures = (r: typeof raw) => r.shadow.map((v) => [v.details?.nMatched, v.details?.nLabeled, v.details?.flipMatrix]);
      expect(figures(rollup), when).toEqual(figures(raw));
      expectSameCycle(rollup, raw);
    }
    // The window's hours to 08:00 at 10:05 (not 09:00: its pairs run to 11:00), 09:00 at 11:05 once every lagging shadow
    // row was in.
    expect(shadowFolds).toEqual([5, 0, 1, 0]);
  });
});
