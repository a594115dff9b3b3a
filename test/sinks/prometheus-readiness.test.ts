// Readiness for /readyz: a recent successful cycle and a store that answers, each failure with its reason.
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { CycleResult } from '../../src/core/types.js';
import { cycleReadiness, Metrics, scheduleIntervalMs } from '../../src/sinks/prometheus/index.js';

const at = new Date('2026-11-24T12:00:00Z');
const window = { from: at, to: at };
const empty: CycleResult = {
  at,
  windows: { reference: window, current: window, matured: { reference: window, current: window }, currents: [{ name: '1d', current: window, matured: window }] },
  models: [],
  evaluations: [],
  findings: [],
  shadow: [],
  quality: { rows: 0, badScores: 0, missingOutcomes: 0, duplicates: 0 },
  durationMs: 100,
};

function setup(ping: () => Promise<boolean>) {
  let now = at.getTime();
  const metrics = new Metrics(parseConfig({}), { now: () => now, defaultMetrics: false });
  const ready = cycleReadiness({ metrics, store: { ping, location: '/data' }, maxAgeMs: 900_000, pingTimeoutMs: 50, now: () => now });
  return { metrics, ready, advance: (ms: number) => (now += ms) };
}

describe('cycleReadiness', () => {
  test('not ready before the first successful cycle, with the failures so far', async () => {
    const { metrics, ready } = setup(async () => true);
    expect(await ready()).toEqual({ ready: false, reason: 'no successful cycle yet' });
    metrics.recordFailure(10);
    expect(await ready()).toEqual({ ready: false, reason: 'no successful cycle yet; 1 failed cycle(s) since' });
  });

  test('ready after a recent success while the store answers; not once the success is too old', async () => {
    const { metrics, ready, advance } = setup(async () => true);
    metrics.recordCycle(empty);
    advance(60_000);
    expect(await ready()).toMatchObject({ ready: true });
    metrics.recordFailure(10);
    advance(900_001 - 60_000);
    expect(await ready()).toEqual({ ready: false, reason: 'last successful cycle was 900s ago, limit 900s; 1 failed cycle(s) since' });
  });

  test('not ready when the store does not answer, or answers too slowly', async () => {
    const down = setup(async () => false);
    down.metrics.recordCycle(empty);
    expect(await down.ready()).toEqual({ ready: false, reason: 'store at /data does not answer within 50ms' });
    const hung = setup(() => new Promise<boolean>(() => undefined));
    hung.metrics.recordCycle(empty);
    expect((await hung.ready()).ready).toBe(false);
    const throws = setup(() => Promise.reject(new Error('boom')));
    throws.metrics.recordCycle(empty);
    expect((await throws.ready()).ready).toBe(false);
  });
});

describe('scheduleIntervalMs', () => {
  test('is the longest gap between runs of the cron schedule', () => {
    expect(scheduleIntervalMs('*/5 * * * *')).toBe(300_000);
    expect(scheduleIntervalMs('0 8 * * 1')).toBe(7 * 86_400_000);
    expect(scheduleIntervalMs('*/30 * * * * *')).toBe(30_000);
  });
});
