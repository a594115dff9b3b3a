// The rollup path gives the cycle a full recompute gives, on seeded data with every scenario, --at on and off the hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSource, rollupSource } from '../../src/aggregates/index.js';
import { runCycle } from '../../src/cycle.js';
import { refreshRollup } from '../../src/rollup/index.js';
import { ensureTables } from '../../src/setup.js';
import { seed, SCENARIOS } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { expectSameCycle } from './compare.js';

const END = new Date('2026-11-20T12:00:00Z');
let t: TempStore;

beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '2h' }, features: ['amount_z', 'device_risk'], minVolume: 200 });
  await ensureTables(t.store, t.config);
  await seed(t.store, t.config, { days: 9, end: END, seed: 11, scenarios: [...SCENARIOS], eventsPerDay: 30_000 });
});
afterAll(() => t.cleanup());

async function both(at: Date) {
  const raw = await runCycle(t.store, t.config, { at, source: rawSource(t.store, t.config) });
  const rollup = await runCycle(t.store, t.config, { at, source: rollupSource(t.store, t.config) });
  return { raw, rollup };
}

describe('a cycle read from the rollup', () => {
  it('equals the full recompute with --at on the hour (cold start: refresh backfills the windows)', async () => {
    const summary = await refreshRollup(t.store, t.config, END);
    expect(summary.folded.events).toBeGreaterThan(8 * 24);
    const { raw, rollup } = await both(END);
    expect(raw.findings.length).toBeGreaterThan(0);
    expectSameCycle(rollup, raw);
  });

  it('equals the full recompute with --at off the hour (partial hours from the raw tables)', async () => {
    const at = new Date(END.getTime() - 26 * 60_000 - 123);
    await refreshRollup(t.store, t.config, at);
    const { raw, rollup } = await both(at);
    expectSameCycle(rollup, raw);
  });

  it('equals the full recompute with nothing folded, and with a rollup refreshed at another time', async () => {
    const at = new Date(END.getTime() - 3 * 3_600_000 - 17 * 60_000);
    const { raw, rollup } = await both(at);
    expectSameCycle(rollup, raw);
  });
});
