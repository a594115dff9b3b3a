// Every Prometheus query of every dashboard names real driftwatch metrics and labels, and returns series in promtool on a real
// exposition: with the variables as provisioned, with one value chosen (values that need escaping), and for another schema.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig, type Config } from '../../src/config/index.js';
import type { CycleResult, Evaluation, Segment } from '../../src/core/types.js';
import type { MetricFamily } from '../helpers/prom.js';
import { exposition, inputSeries, labelNames, metricNames, PROMTOOL, PROMTOOL_MISSING, run } from '../rules/promtool.js';
import { dashboardQueries, expandPromQL, loadDashboards, PROMETHEUS_TYPE, shippedConstants, type Expansion, type Selection } from './dashboards.js';

if (!PROMTOOL) console.warn(PROMTOOL_MISSING);
const AT = new Date('2026-11-20T12:00:00Z');
const RANGE = { from: new Date(AT.getTime() - 6 * 3_600_000), to: AT, intervalSeconds: 60 };
/** Values with regex metacharacters, a quote and a dot: Grafana must escape them for a PromQL string and a regex. */
const ISSUER = "O'Neil & Sons (EU) Bank+Co.";
const SHADOW = 'v4.2-rc[1]';

/** A cycle with one value of every per-segment metric and one shadow version, as the monitors produce them. */
function cycle(segment: Segment): CycleResult {
  const evaluation = (fields: Partial<Evaluation> & Pick<Evaluation, 'monitor' | 'feature' | 'value'>): Evaluation => ({
    model: 'card-auth',
    segment,
    threshold: 0.1,
    severity: 'ok',
    nCurrent: 4000,
    nReference: 26000,
    ...fields,
  });
  return {
    at: AT,
    windows: { reference: { from: AT, to: AT }, current: { from: AT, to: AT }, matured: { reference: { from: AT, to: AT }, current: { from: AT, to: AT } }, currents: [{ name: '1d', current: { from: AT, to: AT }, matured: { from: AT, to: AT } }] },
    models: ['card-auth'],
    evaluations: [
      evaluation({ monitor: 'psi', feature: 'score', value: 0.31, severity: 'critical' }),
      evaluation({ monitor: 'calibration', feature: 'ece', value: 0.18, severity: 'critical' }),
      evaluation({ monitor: 'approval_rate', feature: 'delta', value: -0.18, severity: 'critical', details: { currentRate: 0.69, referenceRate: 0.87 } }),
    ],
    findings: [],
    shadow: [{ model: 'card-auth', shadowVersion: SHADOW, verdict: 'reject', reasons: ['AUC worse'], agreement: 0.89, details: { aucLive: 0.76, aucShadow: 0.63 } }],
    quality: { rows: 80_000, badScores: 0, missingOutcomes: 10, duplicates: 0 },
    durationMs: 2_300,
  };
}

interface Case {
  name: string;
  config: Config;
  segment: Segment;
  /** The dashboards' constants, by name, where they differ from what the dashboards ship. */
  constants: Record<string, string>;
  /** The query variables (ClickHouse drop-downs in Grafana), as chosen. */
  chosen: Record<string, Selection>;
}

const CASES: Case[] = [
  {
    name: 'as provisioned: issuer and region at "All" (allValue .*), every shadow version',
    config: parseConfig({}),
    segment: { issuer: ISSUER, region: 'EU' },
    constants: {},
    chosen: { model: 'card-auth', shadow_version: { all: [SHADOW] }, issuer: { all: [ISSUER, 'Eurobanca'], allValue: '.*' }, region: { all: ['EU'], allValue: '.*' } },
  },
  {
    name: 'one value each, needing escapes',
    config: parseConfig({}),
    segment: { issuer: ISSUER, region: 'EU' },
    constants: {},
    chosen: { model: 'card-auth', shadow_version: [SHADOW], issuer: [ISSUER], region: ['EU'] },
  },
  {
    name: 'another schema: segments [bank, area], set through segment_a / segment_b',
    config: parseConfig({ segments: ['bank', 'area'] }),
    segment: { bank: ISSUER, area: 'EU' },
    constants: { segment_a: 'bank', segment_b: 'area' },
    chosen: { model: 'card-auth', shadow_version: [SHADOW], issuer: [ISSUER], region: ['EU'] },
  },
];

interface Expanded {
  uid: string;
  where: string;
  expr: string;
}

function expand(c: Case): Expanded[] {
  return loadDashboards().flatMap(({ dashboard }) => {
    const variables: Expansion['variables'] = { ...shippedConstants(dashboard), ...c.constants, ...c.chosen };
    return dashboardQueries(dashboard)
      .filter((q) => q.datasource.type === PROMETHEUS_TYPE)
      .map((q) => ({ uid: dashboard.uid ?? '', where: q.where, expr: expandPromQL(q.text, { ...RANGE, variables }) }));
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('dashboard PromQL', () => {
  it('the dashboards have Prometheus queries, and the segment ones take their label names from segment_a / segment_b', () => {
    const queries = expand(CASES[0] as Case);
    expect(queries.length).toBeGreaterThan(5);
    const segmentQuery = queries.find((q) => q.expr.includes('driftwatch_finding_severity{model='));
    expect(segmentQuery?.expr).toBe('max by (monitor, feature) (driftwatch_finding_severity{model="card-auth", issuer=~".*", region=~".*"})');
    const other = expand(CASES[2] as Case).find((q) => q.where === segmentQuery?.where);
    expect(other?.expr).toBe(`max by (monitor, feature) (driftwatch_finding_severity{model="card-auth", bank=~"O'Neil & Sons \\\\(EU\\\\) Bank\\\\+Co\\\\.", area=~"EU"})`);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      let families: MetricFamily[] = [];
      const queries = expand(c);

      it('names only metrics driftwatch exports (or up), with labels those metrics carry', async () => {
        families = await exposition(c.config, cycle(c.segment), [{ monitor: 'approval_rate', severity: 'critical', count: 1 }]);
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

      it.skipIf(!PROMTOOL)(`returns series on driftwatch's real exposition, evaluated by promtool${PROMTOOL ? '' : ` — ${PROMTOOL_MISSING}`}`, async () => {
        if (families.length === 0) families = await exposition(c.config, cycle(c.segment), [{ monitor: 'approval_rate', severity: 'critical', count: 1 }]);
        const dir = mkdtempSync(join(tmpdir(), 'driftwatch-promql-'));
        dirs.push(dir);
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
  }
});

describe("the PromQL expansion itself (Grafana's Prometheus datasource, classic escaping)", () => {
  const expansion = (variables: Expansion['variables']): Expansion => ({ ...RANGE, variables });
  it('escapes a multi-value selection for a PromQL string holding a regex, and joins several as (a|b)', () => {
    expect(expandPromQL('x{v=~"$v"}', expansion({ v: ['v1.2'] }))).toBe('x{v=~"v1\\\\.2"}');
    expect(expandPromQL('x{v=~"$v"}', expansion({ v: ['a+b', 'c'] }))).toBe('x{v=~"(a\\\\+b|c)"}');
    expect(expandPromQL('x{v=~"$v"}', expansion({ v: { all: ['a', 'b'] } }))).toBe('x{v=~"(a|b)"}');
    expect(expandPromQL('x{v=~"$v"}', expansion({ v: { all: ['a', 'b'], allValue: '.*' } }))).toBe('x{v=~".*"}');
  });

  it('substitutes a constant as it is, so it can name a label', () => {
    expect(expandPromQL('x{${segment_a}=~"$v"}', expansion({ segment_a: 'issuer', v: ['EU'] }))).toBe('x{issuer=~"EU"}');
  });
});
