// End to end: the daemon's /metrics scraped by the real Prometheus under the shipped rules (time scaled down 60×),
// alerting through the real Alertmanager to a webhook: incidents fire, ok segments never do, a restart changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { daemonPreparer, settleSession, type Session } from '../../src/cli/common.js';
import { floorToHour } from '../../src/cli/data.js';
import type { CycleResult, Evaluation } from '../../src/core/types.js';
import { Daemon, type CycleHook } from '../../src/daemon.js';
import { silentLogger } from '../../src/log.js';
import { RollupState } from '../../src/rollup/index.js';
import { ensureTables } from '../../src/setup.js';
import { seed, type ScenarioTarget } from '../../src/synth/index.js';
import { freePort, until } from '../helpers/daemon.js';
import { AlertmanagerServer, PrometheusServer, SERVERS_MISSING, WebhookReceiver, writeShortRules, type PromAlert } from '../helpers/prometheus-servers.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const RULES = join(import.meta.dirname, '..', '..', 'alerts', 'driftwatch.rules.yml');
/** The model alerts of the shipped rules and the monitor each one reads (shadow's verdict alert is out of scope). */
const MODEL_ALERTS: Record<string, string> = {
  DriftwatchPSIHigh: 'psi',
  DriftwatchCalibrationECEHigh: 'calibration',
  DriftwatchApprovalRateShift: 'approval_rate',
  DriftwatchModelPerformance: 'performance',
  DriftwatchDataQuality: 'quality',
};
const LEVEL = { ok: 0, warning: 1, critical: 2 } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (SERVERS_MISSING) console.warn(SERVERS_MISSING);

describe.skipIf(SERVERS_MISSING !== undefined)(`driftwatch → Prometheus 2.42 → Alertmanager 0.25${SERVERS_MISSING ? ` — ${SERVERS_MISSING}` : ''}`, () => {
  let t: TempStore;
  let session: Session;
  let webhook: WebhookReceiver;
  let alertmanager: AlertmanagerServer | undefined;
  let prometheus: PrometheusServer | undefined;
  let daemon: Daemon | undefined;
  let targets: ScenarioTarget[];
  /** Every successful cycle of every daemon of this file, in order. */
  const cycles: CycleResult[] = [];
  const recorder: CycleHook = { name: 'recorder', afterCycle: async (result) => void cycles.push(result) };

  async function startDaemon(): Promise<Daemon> {
    const started = new Daemon({ config: session.config, store: session.store, logger: silentLogger, beforeCycle: daemonPreparer(session), hooks: [recorder] });
    await started.start();
    return started;
  }

  beforeAll(async () => {
    webhook = await WebhookReceiver.start();
    const port = await freePort();
    t = await tempStore({ schedule: '*/5 * * * * *', sinks: { prometheus: { host: '127.0.0.1', port } } });
    await ensureTables(t.store, t.config);
    const servers = (async () => {
      alertmanager = await AlertmanagerServer.start({ dir: t.dir, webhookUrl: webhook.url });
      prometheus = await PrometheusServer.start({ dir: t.dir, target: `127.0.0.1:${port}`, rulesFile: writeShortRules(RULES, t.dir), alertmanager: alertmanager.address });
    })();
    const summary = await seed(t.store, t.config, { days: 9, end: floorToHour(new Date()), seed: 5, scenarios: ['issuer-outage', 'bad-rows'], eventsPerDay: 25_000 });
    targets = summary.targets;
    session = await settleSession({ config: t.config, store: t.store, logger: silentLogger, rollup: new RollupState() }, new Date());
    await servers;
    daemon = await startDaemon();
  });

  afterAll(async () => {
    await daemon?.stop();
    await prometheus?.stop();
    await alertmanager?.stop();
    await webhook?.stop();
    await t?.cleanup();
  });

  const lastCycle = (): CycleResult => {
    const last = cycles[cycles.length - 1];
    if (!last) throw new Error('no cycle has finished');
    return last;
  };
  const modelAlerts = async (): Promise<PromAlert[]> => ((await prometheus?.alerts()) ?? []).filter((a) => a.labels.alertname && a.labels.alertname in MODEL_ALERTS);
  const firing = async () => (await modelAlerts()).filter((a) => a.state === 'firing');

  /** One series of driftwatch_finding_severity (and so one alert) per monitor, model, feature, shadow and segment. */
  const findingKey = (e: Evaluation) => JSON.stringify([e.monitor, e.model, e.feature, e.shadowVersion ?? '', ...session.config.segments.map((c) => e.segment[c] ?? '')]);
  const alertKey = (a: { labels: Record<string, string> }) => {
    const { labels } = a;
    return JSON.stringify([MODEL_ALERTS[labels.alertname ?? ''], labels.model, labels.feature ?? '', labels.shadow_version ?? '', ...(daemon?.metrics.segmentLabels ?? []).map((l) => labels[l] ?? '')]);
  };
  /** The strongest severity of each identity judged by a cycle (its windows folded, as the rules' `max without (window)`). */
  function judged(result: CycleResult): Map<string, 'warning' | 'critical'> {
    const out = new Map<string, 'warning' | 'critical'>();
    for (const f of result.findings) {
      if (!Object.values(MODEL_ALERTS).includes(f.monitor)) continue;
      const key = findingKey(f);
      const seen = out.get(key);
      if (!seen || LEVEL[f.severity] > LEVEL[seen]) out.set(key, f.severity);
    }
    return out;
  }
  const criticalKeys = (result: CycleResult) => [...judged(result)].filter(([, s]) => s === 'critical').map(([k]) => k).sort();

  it('fires the injected incidents: the outage issuer’s approval-rate shift and the bad rows’ data quality, both critical', async () => {
    const outage = targets.find((x) => x.scenario === 'issuer-outage');
    expect(outage).toBeDefined();
    const isOutage = (a: PromAlert) => a.labels.alertname === 'DriftwatchApprovalRateShift' && a.labels.severity === 'critical' && Object.entries(outage?.segment ?? {}).every(([k, v]) => a.labels[k] === v);
    const isQuality = (a: PromAlert) => a.labels.alertname === 'DriftwatchDataQuality' && a.labels.severity === 'critical' && a.labels.model === 'card-auth';
    await until(
      async () => {
        const now = await firing();
        return now.some(isOutage) && now.some(isQuality);
      },
      45_000,
      `the outage on ${JSON.stringify(outage?.segment)} and the bad rows to fire`,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; alerts: ${JSON.stringify((await modelAlerts()).map((a) => [a.labels.alertname, a.labels.issuer, a.labels.region, a.labels.feature, a.state]))}; cycles: ${cycles.length}\n${prometheus?.tail()}`);
    });
    const now = await firing();
    expect(now.filter(isOutage).map((a) => a.labels.feature)).toContain('delta');
    expect(now.filter(isQuality).map((a) => a.labels.feature).some((f) => f === 'bad_score_rate' || f === 'duplicate_rate')).toBe(true);
  });

  it('fires for every critical finding of the last cycle and for nothing driftwatch judged ok', async () => {
    // Every critical finding's alert has had its `for:` (10 s) since the first cycle: wait for them all, at most 20 s.
    await until(
      async () => {
        const have = new Set((await firing()).map(alertKey));
        return criticalKeys(lastCycle()).every((k) => have.has(k));
      },
      20_000,
      'every critical finding of the last cycle to fire',
    ).catch(() => undefined); // the assertions below say what is missing
    const result = lastCycle();
    const alerts = await modelAlerts();
    const verdicts = judged(result);
    // No alert, pending or firing, for a segment the last cycle judged ok; none above the severity it was judged
    // (a critical segment has its warning too: the warning rules are `>= 1`, Alertmanager's inhibit rule hides it).
    const level = (severity: string | undefined) => LEVEL[(severity ?? 'ok') as keyof typeof LEVEL] ?? 0;
    const unexplained = alerts.filter((a) => level(verdicts.get(alertKey(a))) === 0 || level(a.labels.severity) > level(verdicts.get(alertKey(a))));
    expect(unexplained.map((a) => ({ alert: a.labels, state: a.state, judged: verdicts.get(alertKey(a)) ?? 'ok' }))).toEqual([]);
    const firingKeys = alerts.filter((a) => a.state === 'firing' && a.labels.severity === 'critical').map(alertKey).sort();
    expect(firingKeys).toEqual(criticalKeys(result));
    expect(firingKeys.length).toBeGreaterThanOrEqual(2);
  });

  it('a daemon restart neither resolves nor re-sends a firing alert', async () => {
    // The critical alerts (their warnings may start firing meanwhile: `for` 30 s here).
    const critical = async () => (await firing()).filter((a) => a.labels.severity === 'critical');
    const before = await critical();
    expect(before.length).toBeGreaterThan(0);
    const activeAt = new Map(before.map((a) => [alertKey(a) + a.labels.severity, a.activeAt]));
    // Every firing alert has reached the webhook before the restart (group_wait 1 s).
    await until(() => before.every((a) => webhook.alerts().some((n) => n.labels.alertname === a.labels.alertname && alertKey(n) === alertKey(a))), 10_000, 'the firing alerts at the webhook');

    await daemon?.stop();
    daemon = undefined;
    await until(async () => (await prometheus?.query('up{job="driftwatch"} == 0'))?.length === 1, 10_000, 'Prometheus to see driftwatch down');
    // Longer than max_over_time's (shortened) 3 s: the severity series are gone from the rules' view.
    await sleep(4_000);
    const cyclesBefore = cycles.length;
    daemon = await startDaemon();
    await until(() => cycles.length > cyclesBefore, 30_000, 'the restarted daemon’s first cycle');
    await until(async () => ((await prometheus?.query('driftwatch_finding_severity == 2')) ?? []).length > 0, 10_000, 'the severity series back in Prometheus');
    // A few evaluations and Alertmanager group intervals after the series are back.
    await sleep(4_000);

    const after = await critical();
    expect(after.map((a) => [alertKey(a) + a.labels.severity, a.activeAt]).sort()).toEqual([...activeAt].sort());
    const notified = webhook.alerts().filter((n) => n.labels.alertname && n.labels.alertname in MODEL_ALERTS);
    expect(notified.filter((n) => n.status === 'resolved' && n.labels.severity === 'critical').map((n) => n.labels)).toEqual([]);
    for (const a of before) {
      const sent = notified.filter((n) => n.labels.alertname === a.labels.alertname && n.labels.severity === a.labels.severity && alertKey(n) === alertKey(a));
      expect(sent.length, `firing notifications of ${JSON.stringify(a.labels)}`).toBe(1);
    }
  });

  it('the quality incident reaches the webhook once', () => {
    const quality = webhook.alerts().filter((n) => n.labels.alertname === 'DriftwatchDataQuality' && n.labels.severity === 'critical');
    expect(quality.length).toBeGreaterThan(0);
    expect(quality.every((n) => n.status === 'firing')).toBe(true);
    // One notification per quality series: none repeated, none resolved.
    expect(new Set(quality.map((n) => n.fingerprint)).size).toBe(quality.length);
  });
});
