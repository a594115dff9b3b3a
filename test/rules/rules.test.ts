// Alert rules: promtool check/test pass, every rule is unit-tested firing and not, names real metrics, links a runbook section; Alertmanager example routes every severity.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import type { CycleResult } from '../../src/core/types.js';
import type { MetricFamily } from '../helpers/prom.js';
import { AMTOOL, AMTOOL_MISSING, exposition, labelNames, metricNames, PROMTOOL, PROMTOOL_MISSING, run } from './promtool.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ALERTS = join(ROOT, 'alerts');
const RULE_FILES = readdirSync(ALERTS).filter((f) => f.endsWith('.rules.yml'));
const TEST_FILES = readdirSync(ALERTS).filter((f) => f.endsWith('.test.yml'));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}

const rules: Rule[] = RULE_FILES.flatMap((f) => (parse(readFileSync(join(ALERTS, f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
const alertRules = rules.filter((r) => r.alert);
const alertTests: AlertTest[] = TEST_FILES.flatMap((f) => (parse(readFileSync(join(ALERTS, f), 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests.flatMap((t) => t.alert_rule_test ?? []));
if (!PROMTOOL) console.warn(PROMTOOL_MISSING);
if (!AMTOOL) console.warn(AMTOOL_MISSING);
const runbook = readFileSync(join(ALERTS, 'RUNBOOK.md'), 'utf8');

/** GitHub's anchor for a Markdown heading. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const runbookAnchors = new Set([...runbook.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, heading]) => anchor(heading ?? '')));

describe('promtool', () => {
  it('finds rule and test files', () => {
    expect(RULE_FILES).toEqual(['driftwatch.rules.yml']);
    expect(TEST_FILES).toEqual(['driftwatch.rules.test.yml']);
  });

  it.skipIf(!PROMTOOL)(`check rules alerts/*.rules.yml passes${PROMTOOL ? '' : ` — ${PROMTOOL_MISSING}`}`, () => {
    const result = run(PROMTOOL as string, ['check', 'rules', ...RULE_FILES], ALERTS);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it.skipIf(!PROMTOOL)(`test rules alerts/*.test.yml passes${PROMTOOL ? '' : ` — ${PROMTOOL_MISSING}`}`, () => {
    const result = run(PROMTOOL as string, ['test', 'rules', ...TEST_FILES], ALERTS);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it.skipIf(!PROMTOOL)(`check config deploy/prometheus.yml (docker-compose) passes and loads the rules${PROMTOOL ? '' : ` — ${PROMTOOL_MISSING}`}`, () => {
    const result = run(PROMTOOL as string, ['check', 'config', 'deploy/prometheus.yml'], ROOT);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('driftwatch.rules.yml');
  });

  it.skipIf(!AMTOOL)(`amtool check-config alerts/alertmanager.example.yml passes${AMTOOL ? '' : ` — ${AMTOOL_MISSING}`}`, () => {
    const result = run(AMTOOL as string, ['check-config', 'alertmanager.example.yml'], ALERTS);
    expect(result.status, result.output).toBe(0);
  });
});

describe('every alert rule', () => {
  it('has a severity the Alertmanager example routes, and summary, description and runbook_url', () => {
    expect(alertRules.length).toBeGreaterThan(5);
    for (const rule of alertRules) {
      expect(['critical', 'warning', 'info'], `${rule.alert}: severity`).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description', 'runbook_url']) expect(rule.annotations?.[key]?.length, `${rule.alert}: ${key}`).toBeGreaterThan(0);
    }
  });

  it('links to its own section of alerts/RUNBOOK.md, and every alert has one', () => {
    for (const rule of alertRules) {
      const url = rule.annotations?.runbook_url ?? '';
      expect(url, `${rule.alert}: runbook_url`).toMatch(/\/alerts\/RUNBOOK\.md#[\w-]+$/);
      const hash = url.split('#')[1] ?? '';
      expect(hash, `${rule.alert}: anchor named after the alert`).toBe(anchor(rule.alert ?? ''));
      expect(runbookAnchors.has(hash), `${rule.alert}: RUNBOOK.md has a "## ${rule.alert}" section`).toBe(true);
    }
    const sections = [...runbook.matchAll(/^## (Driftwatch\w+)$/gm)].map(([, name]) => name);
    expect(new Set(sections)).toEqual(new Set(alertRules.map((r) => r.alert)));
    for (const section of runbook.split(/^## /m).slice(1)) {
      for (const part of ['**Means.**', '**Do.**']) expect(section, `RUNBOOK section ${section.split('\n')[0]} says ${part}`).toContain(part);
    }
  });

  it('is unit-tested both firing (at each of its severities) and not firing', () => {
    for (const rule of alertRules) {
      const cases = alertTests.filter((t) => t.alertname === rule.alert);
      expect(cases.some((t) => (t.exp_alerts ?? []).length === 0), `${rule.alert}: a case where it does not fire`).toBe(true);
      const fired = cases.flatMap((t) => t.exp_alerts ?? []);
      expect(fired.some((a) => a.exp_labels?.severity === rule.labels?.severity), `${rule.alert} (${rule.labels?.severity}): a case where it fires`).toBe(true);
    }
  });

  it('waits (for:) before a model-quality alert fires, so one noisy cycle never pages', () => {
    for (const rule of alertRules.filter((r) => /driftwatch_(psi|calibration|approval)/.test(r.expr))) expect(rule.for, `${rule.alert}: for`).toMatch(/^[1-9]\d*[mh]$/);
  });

  describe('against the metrics driftwatch really exports', () => {
    let families: MetricFamily[] = [];
    beforeAll(async () => {
      const at = new Date('2026-11-20T12:00:00Z');
      const window = { from: at, to: at };
      const segment = { issuer: 'Eurobanca', region: 'EU' };
      const base = { model: 'card-auth', segment, threshold: 0.1, severity: 'ok' as const, nCurrent: 4000, nReference: 26000 };
      const result: CycleResult = {
        at,
        windows: { reference: window, current: window, matured: { reference: window, current: window }, currents: [{ name: '1d', current: window, matured: window }] },
        models: ['card-auth'],
        evaluations: [
          { ...base, monitor: 'psi', feature: 'score', value: 0.3 },
          { ...base, monitor: 'calibration', feature: 'ece', value: 0.1 },
          { ...base, monitor: 'approval_rate', feature: 'delta', value: -0.1, details: { currentRate: 0.7, referenceRate: 0.8 } },
        ],
        findings: [],
        shadow: [{ model: 'card-auth', shadowVersion: 'v42', verdict: 'reject', reasons: [], agreement: 0.9, details: { aucLive: 0.76, aucShadow: 0.63 } }],
        quality: { rows: 1, badScores: 0, missingOutcomes: 0, duplicates: 0 },
        experiments: [
          {
            model: 'card-auth', control: 'v41', treatment: 'v44', verdict: 'rollback', reasons: [], approvalLift: -0.04, lo: -0.06, hi: -0.02, srmPValue: 0.4,
            since: '2026-11-19T10:00:00.000Z', until: '2026-11-20T11:58:00.000Z', pValue: 1e-6, split: { control: 0.5, treatment: 0.5 },
            controlArm: { version: 'v41', events: 5000, labeled: 4900, approved: 4017, approvalRate: 0.82, decisionMix: { approve: 0.8, decline: 0.15, review: 0.05, other: 0 } },
            treatmentArm: { version: 'v44', events: 5000, labeled: 4900, approved: 3822, approvalRate: 0.78, decisionMix: { approve: 0.8, decline: 0.15, review: 0.05, other: 0 } },
            guardrails: [],
          },
        ],
        durationMs: 1000,
      };
      families = await exposition(parseConfig({}), result, []);
    });

    it('names only metrics in /metrics (or up), matching and templating only labels they carry', () => {
      const byName = new Map(families.map((f) => [f.name, f]));
      for (const rule of alertRules) {
        const labels = new Set(['job', 'instance', 'le']);
        for (const name of metricNames(rule.expr)) {
          if (name === 'up') continue;
          const family = byName.get(name);
          expect(family, `${rule.alert}: ${name} is not in driftwatch's /metrics`).toBeDefined();
          for (const sample of family?.metrics ?? []) for (const label of Object.keys(sample.labels ?? {})) labels.add(label);
          if (name === 'driftwatch_series_dropped') labels.add('metric');
        }
        for (const label of labelNames(rule.expr)) expect(labels.has(label), `${rule.alert}: label ${label} in its expression`).toBe(true);
        for (const text of Object.values(rule.annotations ?? {})) {
          for (const [, label] of text.matchAll(/\$labels\.(\w+)/g)) expect(labels.has(label ?? ''), `${rule.alert}: $labels.${label} in an annotation`).toBe(true);
        }
      }
    });
  });
});

describe('alertmanager.example.yml', () => {
  interface Route {
    receiver?: string;
    group_by?: string[];
    matchers?: string[];
    routes?: Route[];
    continue?: boolean;
  }
  const config = parse(readFileSync(join(ALERTS, 'alertmanager.example.yml'), 'utf8')) as {
    route: Route;
    receivers: { name: string }[];
    inhibit_rules?: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  };
  const receivers = new Set(config.receivers.map((r) => r.name));
  const routes = (route: Route): Route[] => [route, ...(route.routes ?? []).flatMap(routes)];

  it('groups by alert name, model and severity, and delivers each alert to one receiver', () => {
    expect(config.route.group_by).toEqual(['alertname', 'model', 'severity']);
    expect(routes(config.route).filter((r) => r.continue)).toEqual([]);
  });

  it('routes to receivers it defines, and no secret is written in it', () => {
    for (const route of routes(config.route)) if (route.receiver) expect(receivers.has(route.receiver), `receiver ${route.receiver}`).toBe(true);
    const text = readFileSync(join(ALERTS, 'alertmanager.example.yml'), 'utf8');
    expect(text).not.toMatch(/hooks\.slack\.com|routing_key:|service_key:|api_url:/);
  });

  it('routes every severity the rules use to a receiver by a matcher', () => {
    const severities = new Set(alertRules.map((r) => r.labels?.severity));
    for (const severity of severities) {
      const matching = routes(config.route).filter((r) =>
        (r.matchers ?? []).some((m) => {
          const [, op, value] = /^severity\s*(=~|=)\s*"(.*)"$/.exec(m) ?? [];
          return op === '=' ? value === severity : op === '=~' ? new RegExp(`^(?:${value})$`).test(severity ?? '') : false;
        }),
      );
      expect(matching.length, `a route for severity=${severity}`).toBeGreaterThan(0);
    }
  });

  it('inhibits only alerts that exist', () => {
    const names = new Set(alertRules.map((r) => r.alert));
    for (const rule of config.inhibit_rules ?? []) {
      for (const matcher of [...rule.source_matchers, ...rule.target_matchers]) {
        const [, value] = /^alertname=~"(.*)"$/.exec(matcher) ?? [];
        for (const name of value?.split('|') ?? []) expect(names.has(name), `inhibit rule names ${name}`).toBe(true);
      }
    }
  });
});
