import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCENARIOS, seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

// 14 days at the default rate: the volume the monitors are sized for. No timing assertion; the elapsed
// time is printed (about 30 s wall, 22 s CPU, on the 2-core development machine under other load).
let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

it('seeds 14 days at the default rate: at least 5M scoring events', async () => {
  const cpu = process.cpuUsage();
  const summary = await seed(t.store, t.config, { days: 14, end: new Date('2026-11-24T12:00:00Z'), seed: 1, scenarios: [...SCENARIOS] });
  const used = process.cpuUsage(cpu);
  console.log(`seeded ${summary.events} events and ${summary.outcomes} outcomes in ${summary.seconds.toFixed(1)} s (CPU ${((used.user + used.system) / 1e6).toFixed(1)} s)`);
  const [row] = await t.store.select<{ n: number }>('SELECT count() AS n FROM scoring_events');
  expect(row?.n).toBe(summary.events);
  expect(summary.events).toBeGreaterThanOrEqual(5_000_000);
}, 600_000);
