// The daemon on the embedded store: a cycle feeds /metrics and history; overlapping ticks are skipped; failures keep it alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon.js';
import { AT, seedSmallFixture } from './helpers/fixture.js';
import { parseMetrics } from './helpers/prom.js';
import { tempStore, type TempStore } from './helpers/store.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore({ windows: { maturity: '1h' }, minVolume: 100, schedule: '0 0 1 1 *', sinks: { prometheus: { port: 0 } } });
  await seedSmallFixture(t);
});
afterAll(() => t.cleanup());

async function metricsText(daemon: Daemon): Promise<string> {
  const response = await fetch(`${daemon.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('daemon', () => {
  it('runs a cycle into /metrics and the history table, and stops cleanly', async () => {
    const daemon = new Daemon({ config: t.config, store: t.store, runOnStart: false, beforeCycle: async () => ({ at: AT }) });
    await daemon.start();
    try {
      expect((await fetch(`${daemon.url}/readyz`)).status).toBe(503);
      const outcome = await daemon.tick();
      expect(outcome?.ok).toBe(true);
      const families = parseMetrics(await metricsText(daemon));
      const delta = families.find((f) => f.name === 'driftwatch_approval_rate_delta');
      const bankB = delta?.metrics.find((m) => m.labels?.issuer === 'BANK B' && m.labels?.region === 'NA');
      expect(Number(bankB?.value)).toBeLessThan(-0.15);
      expect(families.some((f) => f.name === 'driftwatch_last_success_timestamp_seconds')).toBe(true);
      expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
      const [history] = await t.store.select<{ n: number }>(`SELECT count() AS n FROM driftwatch.driftwatch_metrics WHERE cycle_id = {id:String}`, { id: outcome?.cycleId });
      expect(history?.n).toBeGreaterThan(10);
    } finally {
      await daemon.stop();
    }
  });

  it("times the whole cycle, beforeCycle's fold included, in driftwatch_cycle_duration_seconds", async () => {
    // A fold of 1.5 s before the cycle: the histogram must see at least that, not the monitors' part alone.
    const daemon = new Daemon({ config: t.config, store: t.store, runOnStart: false, beforeCycle: async () => (await new Promise((r) => setTimeout(r, 1500)), { at: AT }) });
    await daemon.start();
    try {
      const outcome = await daemon.tick();
      expect(outcome?.ok).toBe(true);
      const text = await metricsText(daemon);
      expect(Number(text.match(/^driftwatch_cycle_duration_seconds_sum (\S+)$/m)?.[1])).toBeGreaterThanOrEqual(1.5);
    } finally {
      await daemon.stop();
    }
  });

  it('skips a tick while a cycle is still running', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const daemon = new Daemon({
      config: t.config,
      store: t.store,
      runOnStart: false,
      beforeCycle: async () => {
        await gate;
        return { at: AT };
      },
    });
    await daemon.start();
    try {
      const first = daemon.tick();
      expect(await daemon.tick()).toBeUndefined();
      release();
      expect((await first)?.ok).toBe(true);
    } finally {
      await daemon.stop();
    }
  });

  it('a failing cycle is counted, keeps the last good values, and the daemon recovers', async () => {
    let fail = true;
    const daemon = new Daemon({
      config: t.config,
      store: t.store,
      runOnStart: false,
      beforeCycle: async () => {
        if (fail) throw new Error('store went away');
        return { at: AT };
      },
    });
    await daemon.start();
    try {
      expect((await daemon.tick())?.ok).toBe(false);
      expect(await metricsText(daemon)).toMatch(/driftwatch_cycle_failures_total 1/);
      fail = false;
      expect((await daemon.tick())?.ok).toBe(true);
    } finally {
      await daemon.stop();
    }
  });
});
