// Every Prometheus query of every dashboard names real driftwatch metrics and labels, and returns series in promtool on a real exposition.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import type { CycleResult, Evaluation } from '../../src/core/types.js';
import type { MetricFamily } from '../helpers/prom.js';
import { exposition, inputSeries, labelNames, metricNames, PROMTOOL, PROMTOOL_MISSING, run } from '../rules/promtool.js';
import { dashboardQueries, expandPromQL, loadDashboards, PROMETHEUS_TYPE, type Expansion } from './dashboards.js';

if (!PROMTOOL) console.warn(PROMTOOL_MISSING);
const AT = new Date('2026-11-20T12:00:00Z');
const config = parseConfig({});

function evaluation(fields: Partial<Evaluation> & Pick<Evaluation, 'monitor' | 'feature' | 'value'>): Evaluation {
  return { model: 'card-auth', segment: { issuer: 'Eurobanca', region: 'EU' }, threshold: 0.1, severity: 'ok', nCurrent: 4000, nReference: 26000, ...fields };
}

/** A cycle with one value of every per-segment metric and one shadow version, as the monitors produce them. */
const cycle: CycleResult = {
  at: AT,
  windows: { reference: { from: AT, to: AT }, current: { from: AT, to: AT }, matured: { reference: { from: AT, to: AT }, current: { from: AT, to: AT } }, currents: [{ name: '1d', current: { from: AT, to: AT }, matured: { from: AT, to: AT } }] },
  models: ['card-auth'],
  evaluations: [
    evaluation({ monitor: 'psi', feature: 'score', value: 0.31, severity: 'critical' }),
    evaluation({ monitor: 'calibration', feature: 'ece', value: 0.18, severity: 'critical' }),
    evaluation({ monitor: 'approval_rate', feature: 'delta', value: -0.18, severity: 'critical', details: { currentRate: 0.69, referenceRate: 0.87 } }),
  ],
  findings: [],
  shadow: [{ model: 'card-auth', shadowVersion: 'v42', verdict: 'reject', reasons: ['AUC worse'], agreement: 0.89, details: { aucLive: 0.76, aucShadow: 0.63 } }],
  quality: { rows: 80_000, badScores: 0, missingOutcomes: 10, duplicates: 0 },
  durationMs: 2_300,
};

const VARIABLES: Expansion['variables'] = { model: 'card-auth', shadow_version: { all: ['v42'] }, issuer: ['Eurobanca'], region: ['EU'] };
const RANGE = { from: new Date(AT.getTime() - 6 * 3_600_000), to: AT, intervalSeconds: 60 };

const queries = loadDashboards().flatMap(({ dashboard }) =>
  dashboardQueries(dashboard)
    .filter((q) => q.datasource.type === PROMETHEUS_TYPE)
    .map((q) => ({ ...q, uid: dashboard.uid ?? '', expr: expandPromQL(q.text, { ...RANGE, variables: VARIABLES }) })),
);

let families: MetricFamily[] = [];
beforeAll(async () => {
  families = await exposition(config, cycle, [{ monitor: 'approval_rate', severity: 'critical', count: 1 }]);
});

describe('dashboard PromQL', () => {
  it('the dashboards have Prometheus queries', () => {
    expect(queries.length).toBeGreaterThan(5);
  });

  it('names only metrics driftwatch exports (or up), with labels those metrics carry', () => {
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const q of queries) {
      for (const name of metricNames(q.expr)) {
        if (name === 'up') continue;
        const family = byName.get(name);
        expect(family, `${q.uid} ${q.where}: ${name} is not in driftwatch's /metrics`).toBeDefined();
        const known = new Set(['job', 'instance', 'le', ...(family?.metrics ?? []).flatMap((m) => Object.keys(m.labels ?? {}))]);
        for (const label of labelNames(q.expr)) expect(known.has(label), `${q.uid} ${q.where}: ${name} has no label ${label}`).toBe(true);
      }
    }
  });

  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!PROMTOOL)(`returns series on driftwatch's real exposition, evaluated by promtool${PROMTOOL ? '' : ` — ${PROMTOOL_MISSING}`}`, () => {
    dir = mkdtempSync(join(tmpdir(), 'driftwatch-promql-'));
    // Each query becomes an alert on count(query): it fires exactly when the query returns at least one series.
    const rules = { groups: [{ name: 'dashboards', rules: queries.map((q, i) => ({ alert: `Query${i}`, expr: `count(${q.expr})` })) }] };
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: inputSeries(families, 60),
          alert_rule_test: queries.map((_, i) => ({ eval_time: '30m', alertname: `Query${i}`, exp_alerts: [{ exp_labels: {} }] })),
        },
      ],
    };
    writeFileSync(join(dir, 'rules.yml'), stringify(rules));
    writeFileSync(join(dir, 'tests.yml'), stringify(tests));
    const result = run(PROMTOOL as string, ['test', 'rules', 'tests.yml'], dir);
    const legend = queries.map((q, i) => `Query${i} = ${q.uid} ${q.where}: ${q.expr}`).join('\n');
    expect(result.status, `${result.output}\n${legend}`).toBe(0);
  });
});
