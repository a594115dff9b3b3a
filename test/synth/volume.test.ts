import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCENARIOS, seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

// The default rate gives the volume the monitors are sized for: at least 5M scoring events in 14 days. Three days of
// it are seeded (14 would take half a minute of npm test's ten) and scaled: they hold a weekend, which is quieter
// (synth/calendar.ts), so the scaled count is below what 14 days give. No timing assertion; the elapsed time is printed.
let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

it('seeds at the default rate: at least 5M scoring events in 14 days', async () => {
  const cpu = process.cpuUsage();
  const summary = await seed(t.store, t.config, { days: 3, end: new Date('2026-11-24T12:00:00Z'), seed: 1, scenarios: [...SCENARIOS] });
  const used = process.cpuUsage(cpu);
  console.log(`seeded ${summary.events} events and ${summary.outcomes} outcomes in ${summary.seconds.toFixed(1)} s (CPU ${((used.user + used.system) / 1e6).toFixed(1)} s)`);
  const [row] = await t.store.select<{ n: number }>('SELECT count() AS n FROM scoring_events');
  expect(row?.n).toBe(summary.events);
  expect((summary.events * 14) / 3).toBeGreaterThanOrEqual(5_000_000);
}, 600_000);
