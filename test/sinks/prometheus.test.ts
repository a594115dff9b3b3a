// Metrics → /metrics over HTTP: the contract's names and labels (docs/architecture.md, "Contracts"), the series cap, no stale series, failures keep values.
import { afterEach, describe, expect, test } from 'vitest';
import { parseConfig, type ConfigInput } from '../../src/config/index.js';
import type { CycleResult, Evaluation, ShadowVerdict } from '../../src/core/types.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { Metrics } from '../../src/sinks/prometheus/index.js';

import { parseMetrics as parse, type MetricFamily as Family, type MetricSample as Sample } from '../helpers/prom.js';

const AT = new Date('2026-11-24T12:00:00Z');
const NOW = Date.parse('2026-11-24T12:00:07Z');

function evaluation(fields: Partial<Evaluation> & Pick<Evaluation, 'monitor' | 'feature' | 'value'>): Evaluation {
  return { model: 'card-auth', segment: { issuer: 'acme', region: 'eu' }, threshold: 0.1, severity: 'ok', nCurrent: 1000, nReference: 5000, ...fields };
}

function cycle(evaluations: Evaluation[], shadow: ShadowVerdict[] = [], durationMs = 1500): CycleResult {
  const window = { from: new Date(AT.getTime() - 86_400_000), to: AT };
  return {
    at: AT,
    windows: { reference: window, current: window, matured: { reference: window, current: window }, currents: [{ name: '1d', current: window, matured: window }] },
    models: ['card-auth'],
    evaluations,
    findings: [],
    shadow,
    quality: { rows: 10, badScores: 0, missingOutcomes: 0, duplicates: 0 },
    durationMs,
  };
}

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(input: ConfigInput = {}) {
  const metrics = new Metrics(parseConfig(input), { now: () => NOW });
  const server = await startServer({ metrics, ready: async () => ({ ready: true }), host: '127.0.0.1', port: 0 });
  servers.push(server);
  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    return parse(await response.text());
  };
  return { metrics, scrape };
}

function family(families: Family[], name: string): Sample[] {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no ${name} in /metrics`);
  return found.metrics;
}

/** `labels → value` for one metric, sorted, for whole-table assertions. */
function table(families: Family[], name: string): string[] {
  return family(families, name)
    .map((s) => `${JSON.stringify(s.labels ?? {})} ${s.value}`)
    .sort();
}

describe('Metrics on /metrics', () => {
  test('maps psi, calibration, approval and shadow results to the documented names, labels and values', async () => {
    const { metrics, scrape } = await serve();
    metrics.recordCycle(
      cycle(
        [
          evaluation({ monitor: 'psi', feature: 'score', value: 0.31, severity: 'critical' }),
          evaluation({ monitor: 'psi', feature: 'amount', value: 0.02, segment: { issuer: 'bank2', region: 'us' } }),
          evaluation({ monitor: 'calibration', feature: 'ece', value: 0.045, severity: 'warning' }),
          evaluation({ monitor: 'calibration', feature: 'something_else', value: 9 }),
          evaluation({ monitor: 'approval_rate', feature: 'delta', value: -0.05, details: { currentRate: 0.85, referenceRate: 0.9 } }),
          evaluation({ monitor: 'quality', feature: 'bad_score_rate', value: 0.5 }),
        ],
        [{ model: 'card-auth', shadowVersion: 'v2', verdict: 'hold', reasons: ['too few outcomes'], agreement: 0.97, details: { aucLive: 0.81, aucShadow: 0.83 } }],
      ),
      [{ monitor: 'psi', severity: 'critical', count: 2 }],
    );
    const f = await scrape();
    expect(table(f, 'driftwatch_psi')).toEqual([
      '{"model":"card-auth","feature":"amount","issuer":"bank2","region":"us"} 0.02',
      '{"model":"card-auth","feature":"score","issuer":"acme","region":"eu"} 0.31',
    ]);
    expect(table(f, 'driftwatch_calibration_ece')).toEqual(['{"model":"card-auth","issuer":"acme","region":"eu"} 0.045']);
    expect(table(f, 'driftwatch_approval_rate_delta')).toEqual(['{"model":"card-auth","issuer":"acme","region":"eu"} -0.05']);
    expect(table(f, 'driftwatch_approval_rate')).toEqual([
      '{"model":"card-auth","issuer":"acme","region":"eu","window":"current"} 0.85',
      '{"model":"card-auth","issuer":"acme","region":"eu","window":"reference"} 0.9',
    ]);
    expect(table(f, 'driftwatch_shadow_agreement')).toEqual(['{"model":"card-auth","shadow_version":"v2"} 0.97']);
    expect(table(f, 'driftwatch_shadow_auc')).toEqual([
      '{"model":"card-auth","shadow_version":"v2","variant":"live"} 0.81',
      '{"model":"card-auth","shadow_version":"v2","variant":"shadow"} 0.83',
    ]);
    expect(table(f, 'driftwatch_shadow_verdict')).toEqual([
      '{"model":"card-auth","shadow_version":"v2","verdict":"hold"} 1',
      '{"model":"card-auth","shadow_version":"v2","verdict":"promote"} 0',
      '{"model":"card-auth","shadow_version":"v2","verdict":"reject"} 0',
    ]);
    const firing = table(f, 'driftwatch_alerts_firing');
    // Two severities of each enabled monitor (psi, calibration, approval_rate, performance, shadow, quality).
    expect(firing).toHaveLength(12);
    expect(firing).toContain('{"monitor":"psi","severity":"critical"} 2');
    expect(firing).toContain('{"monitor":"calibration","severity":"warning"} 0');
    expect(family(f, 'driftwatch_last_success_timestamp_seconds')[0]?.value).toBe(String(NOW / 1000));
    const duration = family(f, 'driftwatch_cycle_duration_seconds')[0];
    expect(duration).toMatchObject({ count: '1', sum: '1.5' });
    expect(duration?.buckets?.['1']).toBe('0');
    expect(duration?.buckets?.['2.5']).toBe('1');
    expect(Object.keys(duration?.buckets ?? {})).toEqual(expect.arrayContaining(['0.1', '600', '+Inf']));
    expect(family(f, 'driftwatch_cycle_failures_total')[0]?.value).toBe('0');
    expect(f.map((x) => x.name)).toEqual(expect.arrayContaining(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']));
  });

  test('segment labels follow the configured segment columns; taken names get a segment_ prefix', async () => {
    const custom = await serve({ segments: ['issuer', 'card_network'] });
    custom.metrics.recordCycle(cycle([evaluation({ monitor: 'psi', feature: 'score', value: 0.2, segment: { issuer: 'acme', card_network: 'visa' } })]));
    expect(table(await custom.scrape(), 'driftwatch_psi')).toEqual(['{"model":"card-auth","feature":"score","issuer":"acme","card_network":"visa"} 0.2']);

    const clash = await serve({ segments: ['model', 'window', 'region'] });
    expect(clash.metrics.segmentLabels).toEqual(['segment_model', 'segment_window', 'region']);
    clash.metrics.recordCycle(
      cycle([
        evaluation({ monitor: 'approval_rate', feature: 'delta', value: 0.1, segment: { model: 'm-col', window: 'w-col', region: 'eu' }, details: { currentRate: 0.6, referenceRate: 0.5 } }),
      ]),
    );
    expect(table(await clash.scrape(), 'driftwatch_approval_rate')).toEqual([
      '{"model":"card-auth","segment_model":"m-col","segment_window":"w-col","region":"eu","window":"current"} 0.6',
      '{"model":"card-auth","segment_model":"m-col","segment_window":"w-col","region":"eu","window":"reference"} 0.5',
    ]);
  });

  test('a cap of 5 keeps critical, then warning, then the largest segments', async () => {
    const { metrics, scrape } = await serve({ sinks: { prometheus: { maxSeries: 5 } } });
    const psi = (issuer: string, severity: Evaluation['severity'], nCurrent: number) =>
      evaluation({ monitor: 'psi', feature: 'score', value: 0.01, severity, nCurrent, segment: { issuer, region: 'eu' } });
    const approval = (issuer: string, severity: Evaluation['severity'], nCurrent: number) =>
      evaluation({ monitor: 'approval_rate', feature: 'delta', value: 0, severity, nCurrent, segment: { issuer, region: 'eu' }, details: { currentRate: 0.5, referenceRate: 0.5 } });
    metrics.recordCycle(
      cycle([
        psi('big-ok', 'ok', 90_000),
        psi('tiny-critical', 'critical', 10),
        psi('mid-ok', 'ok', 50_000),
        psi('small-ok', 'ok', 300),
        psi('warn-a', 'warning', 200),
        psi('large-ok', 'ok', 70_000),
        psi('warn-b', 'warning', 5_000),
        psi('small-critical', 'critical', 20),
        approval('a-ok', 'ok', 900),
        approval('a-warning', 'warning', 100),
        approval('a-big', 'ok', 5_000),
      ]),
    );
    const f = await scrape();
    const kept = family(f, 'driftwatch_psi').map((s) => s.labels?.issuer);
    expect(kept.sort()).toEqual(['big-ok', 'small-critical', 'tiny-critical', 'warn-a', 'warn-b']);
    // Two series per segment: a segment's current and reference rates are kept or dropped together.
    expect(family(f, 'driftwatch_approval_rate').map((s) => `${s.labels?.issuer}/${s.labels?.window}`).sort()).toEqual([
      'a-big/current',
      'a-big/reference',
      'a-warning/current',
      'a-warning/reference',
    ]);
    expect(table(f, 'driftwatch_approval_rate_delta').map((line) => JSON.parse(line.split(' ')[0] ?? '{}').issuer).sort()).toEqual(['a-big', 'a-ok', 'a-warning']);
    expect(table(f, 'driftwatch_series_dropped')).toEqual(
      expect.arrayContaining(['{"metric":"driftwatch_psi"} 3', '{"metric":"driftwatch_approval_rate"} 2', '{"metric":"driftwatch_approval_rate_delta"} 0']),
    );
    // The severity gauge keeps the five alerting segments; its six ok zeros past the cap are left out uncounted,
    // so many ok segments do not keep DriftwatchSeriesDropped firing.
    expect(family(f, 'driftwatch_finding_severity').map((s) => s.labels?.issuer).sort()).toEqual(['a-warning', 'small-critical', 'tiny-critical', 'warn-a', 'warn-b']);
    expect(table(f, 'driftwatch_series_dropped')).toContain('{"metric":"driftwatch_finding_severity"} 0');
    metrics.recordCycle(cycle([...['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((issuer) => psi(issuer, 'critical', 10))]));
    expect(table(await scrape(), 'driftwatch_series_dropped')).toContain('{"metric":"driftwatch_finding_severity"} 1');
  });

  test('each cycle replaces the series: a segment that stopped alerting or disappeared is gone', async () => {
    const { metrics, scrape } = await serve();
    const first = [
      evaluation({ monitor: 'psi', feature: 'score', value: 0.4, severity: 'critical', segment: { issuer: 'gone', region: 'eu' } }),
      evaluation({ monitor: 'psi', feature: 'score', value: 0.05, segment: { issuer: 'stays', region: 'eu' } }),
    ];
    metrics.recordCycle(cycle(first), [{ monitor: 'psi', severity: 'critical', count: 1 }]);
    expect(table(await scrape(), 'driftwatch_psi')).toHaveLength(2);
    metrics.recordCycle(cycle([evaluation({ monitor: 'psi', feature: 'score', value: 0.06, segment: { issuer: 'stays', region: 'eu' } })]), []);
    const f = await scrape();
    expect(table(f, 'driftwatch_psi')).toEqual(['{"model":"card-auth","feature":"score","issuer":"stays","region":"eu"} 0.06']);
    expect(table(f, 'driftwatch_alerts_firing')).toContain('{"monitor":"psi","severity":"critical"} 0');
    expect(family(f, 'driftwatch_cycle_duration_seconds')[0]?.count).toBe('2');
  });

  test('a failed cycle keeps the last good values, counts the failure and leaves last_success alone', async () => {
    let now = NOW;
    const metrics = new Metrics(parseConfig({}), { now: () => now, defaultMetrics: false });
    const server = await startServer({ metrics, ready: async () => ({ ready: true }), host: '127.0.0.1', port: 0 });
    servers.push(server);
    metrics.recordCycle(cycle([evaluation({ monitor: 'calibration', feature: 'ece', value: 0.07, severity: 'critical' })]), [{ monitor: 'calibration', severity: 'critical', count: 1 }]);
    const before = parse(await (await fetch(`${server.url}/metrics`)).text());
    now += 300_000;
    metrics.recordFailure(45_000);
    metrics.recordFailure(2_000);
    const after = parse(await (await fetch(`${server.url}/metrics`)).text());
    expect(table(after, 'driftwatch_calibration_ece')).toEqual(table(before, 'driftwatch_calibration_ece'));
    expect(table(after, 'driftwatch_alerts_firing')).toEqual(table(before, 'driftwatch_alerts_firing'));
    expect(family(after, 'driftwatch_last_success_timestamp_seconds')[0]?.value).toBe(String(NOW / 1000));
    expect(family(after, 'driftwatch_cycle_failures_total')[0]?.value).toBe('2');
    expect(family(after, 'driftwatch_cycle_duration_seconds')[0]).toMatchObject({ count: '3', sum: '48.5' });
    expect(metrics.consecutiveFailures).toBe(2);
    expect(metrics.lastSuccessAt?.getTime()).toBe(NOW);
  });

  test('NaN values leave no series rather than a fake number', async () => {
    const { metrics, scrape } = await serve();
    metrics.recordCycle(cycle([evaluation({ monitor: 'approval_rate', feature: 'delta', value: NaN, details: { currentRate: 0.5 } })]));
    const f = await scrape();
    expect(family(f, 'driftwatch_approval_rate_delta')).toEqual([]);
    expect(table(f, 'driftwatch_approval_rate')).toEqual(['{"model":"card-auth","issuer":"acme","region":"eu","window":"current"} 0.5']);
  });

  test("driftwatch_finding_severity carries driftwatch's judgement: a finding at its strongest window, a segment judged ok at 0 on the longest", async () => {
    const { metrics, scrape } = await serve({ windows: { current: ['1h', '24h'] } });
    const hour = evaluation({ monitor: 'approval_rate', feature: 'delta', value: -0.4, severity: 'critical', window: '1h' });
    const result = cycle([
      hour,
      evaluation({ monitor: 'approval_rate', feature: 'delta', value: -0.02, severity: 'ok', window: '1d' }),
      evaluation({ monitor: 'psi', feature: 'score', value: 0.04, severity: 'ok', window: '1h', segment: { issuer: 'bank2', region: 'us' } }),
      evaluation({ monitor: 'psi', feature: 'score', value: 0.03, severity: 'ok', window: '1d', segment: { issuer: 'bank2', region: 'us' } }),
      evaluation({ monitor: 'quality', feature: 'bad_score_rate', value: 0.02, severity: 'critical', segment: {} }),
      evaluation({ monitor: 'shadow', feature: 'auc_delta', value: -0.1, severity: 'warning', segment: {}, shadowVersion: 'v2' }),
    ]);
    result.findings = result.evaluations.filter((e) => e.severity !== 'ok') as CycleResult['findings'];
    metrics.recordCycle(result);
    const f = await scrape();
    expect(table(f, 'driftwatch_finding_severity')).toEqual([
      '{"monitor":"approval_rate","model":"card-auth","feature":"delta","window":"1h","shadow_version":"","issuer":"acme","region":"eu"} 2',
      '{"monitor":"psi","model":"card-auth","feature":"score","window":"1d","shadow_version":"","issuer":"bank2","region":"us"} 0',
      '{"monitor":"quality","model":"card-auth","feature":"bad_score_rate","window":"1d","shadow_version":"","issuer":"","region":""} 2',
      '{"monitor":"shadow","model":"card-auth","feature":"auc_delta","window":"1d","shadow_version":"v2","issuer":"","region":""} 1',
    ]);
    expect(table(f, 'driftwatch_quality_rate')).toEqual(['{"model":"card-auth","statistic":"bad_score_rate"} 0.02']);
  });
});
