import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertEngine, ensureAlertTables, type Notification } from '../../src/alerts/index.js';
import type { Config } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { HOUR, T0, at, cycle, evaluation, sharedShift, withSeverity } from './fixtures.js';

let t: TempStore;
beforeAll(async () => {
  t = await tempStore();
  await ensureAlertTables(t.store, t.config);
});
afterAll(() => t.cleanup());
beforeEach(() => t.store.command('TRUNCATE TABLE driftwatch.driftwatch_alerts'));

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
    expect(kinds(rest)).toEqual(['evidence']);
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
    expect(kinds(await eager.observe(cycle(at(3), [evaluation({ model: 'other' })])))).toEqual(['firing', 'evidence']);
  });

  it('resolves after resolveAfter clean cycles; a warning in between keeps it firing', async () => {
    const engine = await AlertEngine.open(t.store, config({ resolveAfter: 2 }));
    expect(kinds(await engine.observe(cycle(at(0), [evaluation()])))).toEqual(['firing', 'evidence']);
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

describe('incidents', () => {
  const regions = Array.from({ length: 40 }, (_, i) => `R${String(i).padStart(2, '0')}`);
  const headlines = (notifications: Notification[]) => notifications.filter((n) => n.kind !== 'evidence');

  it("announces one segment's findings across monitors as one incident, its kind read from their signals", async () => {
    const engine = await AlertEngine.open(t.store, config());
    const calibration = evaluation({ monitor: 'calibration', feature: 'ece', value: 0.2, threshold: 0.06 });
    const steadyPsi = evaluation({ monitor: 'psi', feature: 'score', value: 0.01, threshold: 0.1, severity: 'ok' });
    // A large feature PSI on too little data is ok (not significant) but did not stay put: not listed as steady.
    const noisyFeature = evaluation({ monitor: 'psi', feature: 'amount', value: 0.5, threshold: 0.1, severity: 'ok' });
    const notifications = await engine.observe(cycle(at(0), [evaluation(), calibration, noisyFeature, steadyPsi]));
    expect(kinds(notifications)).toEqual(['firing', 'evidence']);
    const [headline, evidence] = notifications;
    expect(headline?.incident).toMatchObject({ kind: 'issuer-outage', title: 'Issuer-side outage likely', segment: { issuer: 'Chase', region: 'EU' } });
    expect(headline?.alerts.map((a) => a.monitor).sort()).toEqual(['approval_rate', 'calibration']);
    // The evidence says what did not move: the unchanged scores are what points at the issuer.
    expect(evidence?.steady?.map((v) => [v.monitor, v.feature])).toEqual([['psi', 'score']]);
    expect(evidence?.groupKey).toBe(headline?.groupKey);
    // A later finding of the same segment joins the incident's thread.
    const [update] = await engine.observe(cycle(at(1), [evaluation(), calibration, { ...steadyPsi, severity: 'critical', value: 0.4 }]));
    expect(update).toMatchObject({ kind: 'update', groupKey: headline?.groupKey, episode: at(0) });
    expect(update?.incident?.kind).toBe('traffic-shift');
  });

  it('rolls 40 segments sharing a value into one message when the shared-shift test passed, else 40 incidents', async () => {
    const outage = regions.map((region) => evaluation({ segment: { issuer: 'Chase', region } }));
    const apart = await AlertEngine.inMemory(config()).observe(cycle(at(0), outage));
    expect(headlines(apart)).toHaveLength(40);

    const engine = await AlertEngine.open(t.store, config());
    const psi = evaluation({ monitor: 'psi', feature: 'score', value: 0.4, threshold: 0.25, segment: { issuer: 'Citi', region: 'US' } });
    const notifications = await engine.observe(cycle(at(0), [...outage, psi], [sharedShift('issuer', 'Chase')]));
    expect(headlines(notifications).map((n) => [n.groupKey, n.kind, n.alerts.length])).toEqual([
      ['["shared","card-auth","issuer","Chase"]', 'firing', 40],
      ['["incident","card-auth",{"issuer":"Citi","region":"US"}]', 'firing', 1],
    ]);
    expect(notifications[0]?.incident).toMatchObject({ kind: 'approval-drop', segment: { issuer: 'Chase' }, shared: { column: 'issuer', value: 'Chase', members: 40, test: { atLeast: 38 } } });
    // Ten recover, two more break: the roll-up's thread gets one update; the new Chase segment joins it (the
    // roll-up is announced), the Citi/EU one opens its own incident. Same episode, keys unchanged.
    const next = [...outage.slice(10), evaluation({ segment: { issuer: 'Chase', region: 'US' } }), evaluation({ segment: { issuer: 'Citi', region: 'EU' } }), psi];
    const recovered = outage.slice(0, 10).map((e) => ({ ...e, severity: 'ok' as const }));
    const mid = await engine.observe(cycle(at(1), [...next, ...recovered], [sharedShift('issuer', 'Chase')]));
    expect(headlines(mid).map((n) => [n.groupKey, n.kind])).toEqual([
      ['["shared","card-auth","issuer","Chase"]', 'update'],
      ['["incident","card-auth",{"issuer":"Citi","region":"EU"}]', 'firing'],
    ]);
    expect(mid[0]?.alerts.filter((a) => a.isNew).map((a) => a.segment)).toEqual([{ issuer: 'Chase', region: 'US' }]);
    const later = await engine.observe(cycle(at(2), [...next, ...recovered], [sharedShift('issuer', 'Chase')]));
    const update = later.find((n) => n.groupKey.startsWith('["shared"'));
    expect(update).toMatchObject({ kind: 'update', episode: at(0) });
    expect(update?.resolved).toHaveLength(10);
    expect(update?.alerts).toHaveLength(31);
  });

  it('keeps a segment whose incident reads differently out of the roll-up', async () => {
    const drifted = regions.slice(0, 5).map((region) => evaluation({ segment: { issuer: 'Chase', region } }));
    const outage = [evaluation({ segment: { issuer: 'Chase', region: 'EU' } }), evaluation({ monitor: 'calibration', feature: 'ece', value: 0.2, threshold: 0.06, segment: { issuer: 'Chase', region: 'EU' } })];
    const notifications = await AlertEngine.inMemory(config()).observe(cycle(at(0), [...drifted, ...outage], [sharedShift('issuer', 'Chase')]));
    expect(headlines(notifications).map((n) => [n.incident?.kind, n.alerts.length])).toEqual([
      ['approval-drop', 5],
      ['issuer-outage', 2],
    ]);
  });

  it('an announced roll-up takes only incidents of its kind; pending or silenced segments do not make one', async () => {
    const engine = await AlertEngine.open(t.store, config());
    const drop = (region: string) => evaluation({ segment: { issuer: 'Chase', region } });
    await engine.observe(cycle(at(0), [drop('R1'), drop('R2')], [sharedShift('issuer', 'Chase')]));
    // A later outage of another Chase segment (approval down + calibration broken) keeps its own thread.
    const outage = [drop('R3'), evaluation({ monitor: 'calibration', feature: 'ece', value: 0.2, threshold: 0.06, segment: { issuer: 'Chase', region: 'R3' } })];
    const later = headlines(await engine.observe(cycle(at(1), [drop('R1'), drop('R2'), ...outage], [sharedShift('issuer', 'Chase')])));
    expect(later.map((n) => [n.groupKey, n.kind, n.incident?.kind])).toEqual([['["incident","card-auth",{"issuer":"Chase","region":"R3"}]', 'firing', 'issuer-outage']]);

    // One firing segment and one still pending (alerts.for = 2): no roll-up of one visible segment.
    const patient = AlertEngine.inMemory(config({ for: 2 }));
    await patient.observe(cycle(at(0), [drop('R1')]));
    const first = headlines(await patient.observe(cycle(at(1), [drop('R1'), drop('R2')], [sharedShift('issuer', 'Chase')])));
    expect(first.map((n) => n.groupKey)).toEqual(['["incident","card-auth",{"issuer":"Chase","region":"R1"}]']);
  });

  it("shows a segment's warnings as context of its incident without creating alerts", async () => {
    const engine = await AlertEngine.open(t.store, config());
    const [n] = await engine.observe(cycle(at(0), [evaluation(), withSeverity('warning', { monitor: 'calibration', feature: 'ece' }), withSeverity('warning', { segment: { issuer: 'Amex', region: 'US' } })]));
    expect(n?.warnings.map((w) => [w.monitor, w.segment])).toEqual([['calibration', { issuer: 'Chase', region: 'EU' }]]);
    expect(engine.list()).toHaveLength(1);
    expect(await engine.observe(cycle(at(1), [withSeverity('warning', { model: 'quiet' })]))).toEqual([]);
  });

  it('keeps two rejected shadows of one model apart: one incident each', async () => {
    const engine = await AlertEngine.open(t.store, config());
    const rejected = (shadowVersion: string) => evaluation({ monitor: 'shadow', segment: {}, feature: 'auc_delta', value: -0.02, threshold: 1, shadowVersion, details: { verdict: 'reject' } });
    const notifications = headlines(await engine.observe(cycle(at(0), [rejected('v41'), rejected('v42')])));
    expect(notifications.map((n) => [n.incident?.shadowVersion, n.incident?.kind, n.alerts.length])).toEqual([['v41', 'shadow', 1], ['v42', 'shadow', 1]]);
    // One shadow recovers: only its alert resolves.
    await engine.observe(cycle(at(1), [rejected('v42'), { ...rejected('v41'), severity: 'ok' }]));
    const [resolved] = await engine.observe(cycle(at(2), [rejected('v42'), { ...rejected('v41'), severity: 'ok' }]));
    expect(resolved?.resolved.map((a) => a.shadowVersion)).toEqual(['v41']);
    expect(engine.list().map((a) => a.shadowVersion)).toEqual(['v42']);
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
    expect(after?.kind).toBe('firing');
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
    expect(kinds(await first.observe(cycle(at(0), [evaluation()])))).toEqual(['firing', 'evidence']);
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
    expect(seen).toEqual(['firing', 'evidence']);
    const failing = await AlertEngine.open(t.store, config(), { queue: { enqueue: () => Promise.reject(new Error('outbox down')) } });
    await expect(failing.observe(cycle(at(1), [evaluation({ model: 'm2' })]))).rejects.toThrow('outbox down');
    // Nothing was committed, so the alert is announced on the next cycle.
    const retry = await AlertEngine.open(t.store, config());
    expect(kinds(await retry.observe(cycle(at(2), [evaluation({ model: 'm2' })])))).toEqual(['firing', 'evidence']);
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
