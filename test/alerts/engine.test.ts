import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertEngine, ensureAlertTables, type Notification } from '../../src/alerts/index.js';
import type { Config } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { HOUR, T0, at, cycle, evaluation, withSeverity } from './fixtures.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
  await ensureAlertTables(t.store, t.config);
});
afterAll(() => t.cleanup());
beforeEach(() => t.store.command('TRUNCATE TABLE driftwatch_alerts'));

function config(alerts: Partial<Config['alerts']> = {}): Config {
  return { ...t.config, alerts: { ...t.config.alerts, for: 1, resolveAfter: 2, ...alerts } };
}

const kinds = (notifications: Notification[]) => notifications.map((n) => n.kind);

describe('lifecycle', () => {
  it('goes pending, then fires after `for` consecutive critical cycles', async () => {
    const engine = await AlertEngine.open(t.store, config({ for: 2 }));
    expect(await engine.observe(cycle(at(0), [evaluation()]))).toEqual([]);
    expect(engine.list().map((a) => a.state)).toEqual(['pending']);
    const [n, ...rest] = await engine.observe(cycle(at(1), [evaluation()]));
    expect(rest).toEqual([]);
    expect(n?.kind).toBe('firing');
    expect(n?.alerts).toHaveLength(1);
    expect(n?.alerts[0]).toMatchObject({ state: 'firing', value: -0.1, threshold: 0.08, nCurrent: 1200, nReference: 5600, pValue: 1.2e-6, since: at(0), firingSince: at(1), segment: { issuer: 'Chase', region: 'EU' } });
    expect(engine.firingCounts()).toContainEqual({ monitor: 'approval_rate', severity: 'critical', count: 1 });
  });

  it('fires on the first critical cycle with for=1, and a warning breaks a pending run', async () => {
    const engine = await AlertEngine.open(t.store, config({ for: 2 }));
    await engine.observe(cycle(at(0), [evaluation()]));
    await engine.observe(cycle(at(1), [withSeverity('warning')]));
    expect(engine.list()).toEqual([]);
    expect(await engine.observe(cycle(at(2), [evaluation()]))).toEqual([]);

    const eager = await AlertEngine.open(t.store, config({ for: 1 }));
    expect(kinds(await eager.observe(cycle(at(3), [evaluation({ model: 'other' })])))).toEqual(['firing']);
  });

  it('resolves after resolveAfter clean cycles; a warning in between keeps it firing', async () => {
    const engine = await AlertEngine.open(t.store, config({ resolveAfter: 2 }));
    expect(kinds(await engine.observe(cycle(at(0), [evaluation()])))).toEqual(['firing']);
    expect(await engine.observe(cycle(at(1), [withSeverity('ok')]))).toEqual([]);
    expect(await engine.observe(cycle(at(2), [withSeverity('warning')]))).toEqual([]);
    expect(engine.firingCounts()).toContainEqual({ monitor: 'approval_rate', severity: 'warning', count: 1 });
    expect(await engine.observe(cycle(at(3), [withSeverity('ok')]))).toEqual([]);
    const [n] = await engine.observe(cycle(at(4), [withSeverity('ok')]));
    expect(n?.kind).toBe('resolved');
    expect(n?.alerts).toEqual([]);
    expect(n?.resolved[0]).toMatchObject({ state: 'resolved', resolvedAt: at(4), firingSince: at(0) });
    expect(engine.list()).toEqual([]);
  });

  it('does not count an unevaluated cycle as clean, but resolves after 24 h without evaluation', async () => {
    const engine = await AlertEngine.open(t.store, config({ resolveAfter: 1, repeatInterval: 48 * HOUR }));
    await engine.observe(cycle(at(0), [evaluation()]));
    const elsewhere = evaluation({ segment: { issuer: 'Citi', region: 'US' }, severity: 'ok', value: 0 });
    for (let i = 1; i <= 5; i++) expect(await engine.observe(cycle(at(i), [elsewhere]))).toEqual([]);
    expect(engine.list()[0]?.state).toBe('firing');
    expect(await engine.observe(cycle(new Date(T0 + 23 * HOUR), [elsewhere]))).toEqual([]);
    const [n] = await engine.observe(cycle(new Date(T0 + 25 * HOUR), [elsewhere]));
    expect(n?.kind).toBe('resolved');
    expect(n?.resolved[0]?.resolveReason).toBe('no longer evaluated');
  });

  it('ignores a cycle that is not later than the last one', async () => {
    const engine = await AlertEngine.open(t.store, config());
    await engine.observe(cycle(at(5), [evaluation()]));
    expect(await engine.observe(cycle(at(4), [withSeverity('ok')]))).toEqual([]);
    expect(engine.list()[0]?.state).toBe('firing');
  });
});

describe('grouping', () => {
  const regions = Array.from({ length: 40 }, (_, i) => `R${String(i).padStart(2, '0')}`);

  it('announces an issuer outage in 40 regions as one notification with 40 alerts', async () => {
    const engine = await AlertEngine.open(t.store, config());
    const outage = regions.map((region) => evaluation({ segment: { issuer: 'Chase', region } }));
    const psi = evaluation({ monitor: 'psi', feature: 'score', value: 0.4, threshold: 0.25 });
    const notifications = await engine.observe(cycle(at(0), [...outage, psi]));
    expect(notifications.map((n) => [n.groupKey, n.kind, n.alerts.length])).toEqual([
      ['card-auth/approval_rate', 'firing', 40],
      ['card-auth/psi', 'firing', 1],
    ]);
    // Ten recover, two more break: one update with both changes, same episode.
    const next = [...outage.slice(10), evaluation({ segment: { issuer: 'Citi', region: 'US' } }), evaluation({ segment: { issuer: 'Citi', region: 'EU' } }), psi];
    await engine.observe(cycle(at(1), [...next, ...outage.slice(0, 10).map((e) => ({ ...e, severity: 'ok' as const }))]));
    const [update] = await engine.observe(cycle(at(2), [...next, ...outage.slice(0, 10).map((e) => ({ ...e, severity: 'ok' as const }))]));
    expect(update).toMatchObject({ kind: 'update', episode: at(0) });
    expect(update?.resolved).toHaveLength(10);
    expect(update?.alerts).toHaveLength(32);
  });

  it('shows warnings of a firing group as context without creating alerts', async () => {
    const engine = await AlertEngine.open(t.store, config());
    const [n] = await engine.observe(cycle(at(0), [evaluation(), withSeverity('warning', { segment: { issuer: 'Amex', region: 'US' } })]));
    expect(n?.warnings.map((w) => w.segment)).toEqual([{ issuer: 'Amex', region: 'US' }]);
    expect(engine.list()).toHaveLength(1);
    expect(await engine.observe(cycle(at(1), [withSeverity('warning', { model: 'quiet' })]))).toEqual([]);
  });

  it('keeps two rejected shadows of one model as two alerts in one message', async () => {
    const engine = await AlertEngine.open(t.store, config());
    const rejected = (shadowVersion: string) => evaluation({ monitor: 'shadow', segment: {}, feature: 'auc_delta', value: -0.02, threshold: 1, shadowVersion, details: { verdict: 'reject' } });
    const [n] = await engine.observe(cycle(at(0), [rejected('v41'), rejected('v42')]));
    expect(n?.groupKey).toBe('card-auth/shadow');
    expect(n?.alerts.map((a) => a.shadowVersion).sort()).toEqual(['v41', 'v42']);
    // One shadow recovers: only its alert resolves.
    await engine.observe(cycle(at(1), [rejected('v42'), { ...rejected('v41'), severity: 'ok' }]));
    const [update] = await engine.observe(cycle(at(2), [rejected('v42'), { ...rejected('v41'), severity: 'ok' }]));
    expect(update?.resolved.map((a) => a.shadowVersion)).toEqual(['v41']);
    expect(engine.list().map((a) => a.shadowVersion)).toEqual(['v42']);
  });

  it('repeats a still-firing group after the repeat interval, not before', async () => {
    const engine = await AlertEngine.open(t.store, config({ repeatInterval: 4 * HOUR }));
    await engine.observe(cycle(at(0), [evaluation()]));
    expect(await engine.observe(cycle(new Date(T0 + HOUR), [evaluation()]))).toEqual([]);
    expect(await engine.observe(cycle(new Date(T0 + 3.9 * HOUR), [evaluation()]))).toEqual([]);
    const [n] = await engine.observe(cycle(new Date(T0 + 4 * HOUR), [evaluation()]));
    expect(n).toMatchObject({ kind: 'repeat', episode: at(0) });
    expect(await engine.observe(cycle(new Date(T0 + 5 * HOUR), [evaluation()]))).toEqual([]);
  });
});

describe('silences', () => {
  it('keeps a silenced alert firing without notifying until the silence expires', async () => {
    const expires = new Date(T0 + 2 * HOUR).toISOString();
    const engine = await AlertEngine.open(t.store, config({ silences: [{ matchers: { issuer: '/Chase|Citi/', model: 'card-auth' }, expires, comment: 'bank maintenance' }] }));
    const loud = evaluation({ segment: { issuer: 'Amex', region: 'EU' } });
    const [n] = await engine.observe(cycle(at(0), [evaluation(), loud]));
    expect(n?.alerts.map((a) => a.segment.issuer)).toEqual(['Amex']);
    expect(await engine.observe(cycle(new Date(T0 + HOUR), [evaluation(), loud]))).toEqual([]);
    expect(engine.firingCounts()).toContainEqual({ monitor: 'approval_rate', severity: 'critical', count: 2 });
    const [after] = await engine.observe(cycle(new Date(T0 + 2 * HOUR), [evaluation(), loud]));
    expect(after?.kind).toBe('update');
    expect(after?.alerts.filter((a) => a.isNew).map((a) => a.segment.issuer)).toEqual(['Chase']);
  });

  it('rejects matchers on unknown labels and bad regular expressions', async () => {
    const expires = new Date(T0).toISOString();
    await expect(AlertEngine.open(t.store, config({ silences: [{ matchers: { isuer: 'x' }, expires, comment: '' }] }))).rejects.toThrow(ConfigError);
    await expect(AlertEngine.open(t.store, config({ silences: [{ matchers: { issuer: '/(/' }, expires, comment: '' }] }))).rejects.toThrow(/regular expression/);
  });
});

describe('durable state', () => {
  it('survives a restart: no re-announcement, and resolution still happens', async () => {
    const first = await AlertEngine.open(t.store, config());
    expect(kinds(await first.observe(cycle(at(0), [evaluation()])))).toEqual(['firing']);
    const second = await AlertEngine.open(t.store, config());
    expect(second.list().map((a) => a.state)).toEqual(['firing']);
    expect(await second.observe(cycle(at(1), [evaluation()]))).toEqual([]);
    await second.observe(cycle(at(2), [withSeverity('ok')]));
    const third = await AlertEngine.open(t.store, config());
    const [n] = await third.observe(cycle(at(3), [withSeverity('ok')]));
    expect(n).toMatchObject({ kind: 'resolved', episode: at(0) });
    expect((await AlertEngine.open(t.store, config())).list()).toEqual([]);
  });

  it('enqueues notifications before committing state', async () => {
    const seen: string[] = [];
    const queue = { enqueue: async (ns: readonly Notification[]) => void seen.push(...ns.map((n) => n.kind)) };
    const engine = await AlertEngine.open(t.store, config(), { queue });
    await engine.observe(cycle(at(0), [evaluation()]));
    expect(seen).toEqual(['firing']);
    const failing = await AlertEngine.open(t.store, config(), { queue: { enqueue: () => Promise.reject(new Error('outbox down')) } });
    await expect(failing.observe(cycle(at(1), [evaluation({ model: 'm2' })]))).rejects.toThrow('outbox down');
    // Nothing was committed, so the alert is announced on the next cycle.
    const retry = await AlertEngine.open(t.store, config());
    expect(kinds(await retry.observe(cycle(at(2), [evaluation({ model: 'm2' })])))).toEqual(['firing']);
  });

  it('keeps resolved occurrences as history with durations', async () => {
    const engine = await AlertEngine.open(t.store, config({ resolveAfter: 1 }));
    await engine.observe(cycle(at(0), [evaluation()]));
    await engine.observe(cycle(at(12), [withSeverity('ok')]));
    await engine.observe(cycle(at(20), [evaluation()]));
    const history = await engine.history({ from: new Date(T0 - HOUR), to: new Date(T0 + 3 * HOUR) });
    expect(history.map((h) => [h.from, h.to, h.durationMs])).toEqual([
      [at(0), at(12), HOUR],
      [at(20), null, 3 * HOUR - 100 * 60_000],
    ]);
  });

  it('stores hostile segment values as data', async () => {
    const hostile = { issuer: `'; DROP TABLE driftwatch_alerts; --`, region: 'x'.repeat(10_000) };
    const engine = await AlertEngine.open(t.store, config());
    await engine.observe(cycle(at(0), [evaluation({ segment: hostile }), evaluation({ monitor: 'quality', feature: 'badScoreRate', value: Number.NaN, pValue: Number.POSITIVE_INFINITY })]));
    const reopened = await AlertEngine.open(t.store, config());
    expect(reopened.list().map((a) => a.segment)).toContainEqual(hostile);
    expect(reopened.list().find((a) => a.monitor === 'quality')).toMatchObject({ value: Number.NaN, pValue: Number.POSITIVE_INFINITY });
  });
});
