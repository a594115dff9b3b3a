// Dashboard JSON and provisioning carry what Grafana needs: ids, datasources that exist, targets, layout, variables, working links.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { drillDownUrl } from '../../src/sinks/slack/message.js';
import { allPanels, CLICKHOUSE_TYPE, dashboardQueries, loadDashboards, PROMETHEUS_TYPE, ROOT, SCHEMA_CONSTANTS, shippedConstants, variableQuery, type Dashboard, type Panel } from './dashboards.js';

const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'table', 'state-timeline', 'barchart', 'bargauge', 'gauge', 'xychart', 'text', 'heatmap']);
const dashboards = loadDashboards();

interface ProvisionedDatasource {
  name?: string;
  uid?: string;
  type?: string;
  url?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}

const provisioned: ProvisionedDatasource[] = ['clickhouse.yml', 'prometheus.yml'].flatMap(
  (file) => (parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources', file), 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources,
);
const datasourceUids = new Map(provisioned.map((d) => [d.uid, d.type]));

/** Grafana's slug of a dashboard title, the second path segment of /d/<uid>/<slug>. */
const slugify = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** Column aliases, bare columns on a line of their own, and string literals of a panel's SQL: the names an override or a link may refer to. */
function namesInSql(panel: Panel): Set<string> {
  const names = new Set<string>();
  for (const target of panel.targets ?? []) {
    for (const [, alias] of (target.rawSql ?? '').matchAll(/\bAS\s+(\w+)/g)) names.add(alias ?? '');
    for (const [, column] of (target.rawSql ?? '').matchAll(/^\s*(\w+),?\s*$/gm)) names.add(column ?? '');
    for (const [, literal] of (target.rawSql ?? '').matchAll(/'([^']*)'/g)) names.add(literal ?? '');
  }
  return names;
}

function links(panel: Panel): string[] {
  return (panel.fieldConfig?.overrides ?? []).flatMap((o) => (o.properties ?? []).filter((p) => p.id === 'links').flatMap((p) => (p.value as { url: string }[]).map((l) => l.url)));
}

/** Checks a /d/<uid>/<slug>?var-… link: the dashboard exists under that slug and has every variable the link sets. */
function checkDashboardLink(url: string, from: string): void {
  const parsed = new URL(url, 'http://grafana.invalid');
  const [, d, uid, slug] = parsed.pathname.split('/');
  expect(d, `${from}: ${url} is a dashboard link`).toBe('d');
  const target = dashboards.find((x) => x.dashboard.uid === uid)?.dashboard;
  expect(target, `${from}: ${url} points at an existing dashboard`).toBeDefined();
  expect(slug, `${from}: ${url} uses the dashboard's slug`).toBe(slugify(target?.title ?? ''));
  const variables = new Set((target?.templating?.list ?? []).map((v) => v.name));
  for (const key of parsed.searchParams.keys()) if (key.startsWith('var-')) expect(variables.has(key.slice(4)), `${from}: ${url} sets ${key}, a variable of ${uid}`).toBe(true);
}

describe('dashboards', () => {
  it('are the three of the issue, with unique uids', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual(['driftwatch-overview', 'driftwatch-segment', 'driftwatch-shadow']);
  });

  for (const { file, dashboard } of dashboards) {
    describe(file, () => {
      it('has uid, title, schemaVersion, tags and panels', () => {
        expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
        expect(dashboard.title?.length).toBeGreaterThan(0);
        expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
        expect((dashboard as Dashboard & { tags?: string[] }).tags).toContain('driftwatch');
        expect(dashboard.panels?.length).toBeGreaterThan(3);
      });

      it('gives every panel a unique id, a known type, a title and a place on the 24-column grid', () => {
        const panels = allPanels(dashboard);
        const ids = panels.map((p) => p.id);
        expect(ids.every((id) => Number.isInteger(id))).toBe(true);
        expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
        for (const panel of panels) {
          expect(PANEL_TYPES.has(panel.type ?? ''), `panel ${panel.title}: type ${panel.type}`).toBe(true);
          expect(panel.title?.length, `panel ${panel.id} has a title`).toBeGreaterThan(0);
          const { h, w, x, y } = panel.gridPos ?? {};
          for (const n of [h, w, x, y]) expect(Number.isInteger(n), `panel ${panel.title}: gridPos ${JSON.stringify(panel.gridPos)}`).toBe(true);
          expect((x ?? 0) + (w ?? 0), `panel ${panel.title} fits in 24 columns`).toBeLessThanOrEqual(24);
        }
      });

      it('gives every data panel a provisioned datasource and targets with refId and a query in that datasource\'s language', () => {
        for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row' && p.type !== 'text')) {
          const type = datasourceUids.get(panel.datasource?.uid);
          expect(type, `panel ${panel.title}: datasource uid ${panel.datasource?.uid} is provisioned`).toBeDefined();
          expect(panel.datasource?.type).toBe(type);
          expect(panel.targets?.length, `panel ${panel.title} has targets`).toBeGreaterThan(0);
          const refIds = (panel.targets ?? []).map((t) => t.refId);
          expect(new Set(refIds).size, `panel ${panel.title}: refIds unique`).toBe(refIds.length);
          for (const target of panel.targets ?? []) {
            expect(target.refId).toMatch(/^[A-Z]$/);
            expect(target.datasource ?? panel.datasource).toEqual(panel.datasource);
            if (type === CLICKHOUSE_TYPE) {
              expect(target.rawSql?.trim().length, `panel ${panel.title}: rawSql`).toBeGreaterThan(0);
              expect([0, 1], `panel ${panel.title}: format is time series (0) or table (1)`).toContain(target.format);
            } else {
              expect(target.expr?.trim().length, `panel ${panel.title}: expr`).toBeGreaterThan(0);
            }
          }
        }
      });

      it('reads ClickHouse history through the time filter, never the raw event tables', () => {
        for (const query of dashboardQueries(dashboard).filter((q) => q.datasource.type === CLICKHOUSE_TYPE)) {
          expect(query.text, `${query.where} filters on time`).toMatch(/\$__timeFilter\(/);
          expect(query.text, `${query.where} does not scan raw events`).not.toMatch(/\b(scoring_events|outcomes)\b/);
        }
      });

      it('declares variables before use: constants for the schema, query variables with a provisioned datasource and SQL', () => {
        const declared = new Set<string>();
        for (const variable of dashboard.templating?.list ?? []) {
          expect(variable.name).toMatch(/^\w+$/);
          expect(['query', 'constant'], `variable ${variable.name}: type ${variable.type}`).toContain(variable.type);
          const text = variable.type === 'constant' ? String(variable.query ?? '') : variableQuery(variable);
          expect(text.length, `variable ${variable.name} has a query or value`).toBeGreaterThan(0);
          if (variable.type === 'query') expect(datasourceUids.get(variable.datasource?.uid)).toBe(variable.datasource?.type);
          for (const [, a, b] of text.matchAll(/\$\{(\w+)[^}]*\}|\$(?!__)(\w+)/g)) expect(declared.has(a ?? b ?? ''), `variable ${variable.name} uses $${a ?? b} before it is declared`).toBe(true);
          declared.add(variable.name ?? '');
        }
        const used = dashboardQueries(dashboard).map((q) => q.text).join('\n');
        for (const name of declared) expect(used, `variable ${name} is used by some query`).toMatch(new RegExp(`\\$\\{?${name}\\b`));
      });

      it('ships every variable with a working default: constants at their value, "All" where there is one, else the first option', () => {
        for (const variable of dashboard.templating?.list ?? []) {
          const where = `${dashboard.uid} variable ${variable.name}`;
          expect(variable.current, `${where} has a current value`).toBeDefined();
          if (variable.type === 'constant') {
            expect(variable.current?.value, `${where}: current is the constant's value`).toBe(variable.query);
            expect(String(variable.query), `${where}: an identifier ClickHouse and Prometheus take unquoted`).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);
            expect(variable.hide, `${where}: hidden (the schema is set in the JSON, not by a viewer)`).toBe(2);
          } else if (variable.includeAll) {
            expect(variable.multi, `${where}: "All" comes with multi-value`).toBe(true);
            expect([variable.current?.value].flat(), `${where} opens at "All"`).toEqual(['$__all']);
          } else {
            // A single-value query variable (the model) opens at its first option: there is no value every install has.
            expect(variable.current, `${where}: empty, so Grafana takes the first option`).toEqual({});
          }
        }
        const constants = shippedConstants(dashboard);
        const defaults: Record<string, string> = { driftwatch_database: 'driftwatch', history_table: 'driftwatch_metrics', segment_a: 'issuer', segment_b: 'region' };
        for (const [name, value] of Object.entries(constants)) expect(value, `${dashboard.uid}: ${name} ships driftwatch's default`).toBe(defaults[name]);
        expect(constants.driftwatch_database, `${dashboard.uid} names driftwatch's database`).toBe(parseConfig({}).store.driftwatchDatabase);
        expect(constants.history_table).toBe(parseConfig({}).tables.history);
      });

      it("reads driftwatch's tables and segment columns only through the schema constants, never by name", () => {
        for (const query of dashboardQueries(dashboard)) {
          const text = query.text;
          expect(text, `${query.where} names no segment column`).not.toMatch(/\b(issuer|region)\s*(=|!=|=~|!~)|segment\['/);
          if (query.datasource.type !== CLICKHOUSE_TYPE) continue;
          expect(text, `${query.where} reads history through the constants`).not.toMatch(/driftwatch_metrics/);
          for (const [, table] of text.matchAll(/\b(?:FROM|(?<!ARRAY\s+)JOIN)\s+(?!\()(\S+)/gi)) {
            expect(table, `${query.where}: FROM ${table} is driftwatch's history table or rollup, in its database`).toMatch(/^\$\{driftwatch_database\}\.(\$\{history_table\}|driftwatch_rollup_\w+)$/);
          }
        }
      });

      it('overrides fields and links columns that the panel\'s query produces, to dashboards and variables that exist', () => {
        for (const panel of allPanels(dashboard).filter((p) => p.datasource?.type === CLICKHOUSE_TYPE)) {
          const names = namesInSql(panel);
          for (const override of panel.fieldConfig?.overrides ?? []) {
            if (override.matcher?.id !== 'byName') continue;
            expect(names.has(override.matcher.options ?? ''), `panel ${panel.title}: override for ${override.matcher.options}, a column or series of its SQL`).toBe(true);
            for (const property of override.properties ?? []) {
              if (property.id === 'custom.fillBelowTo') expect(names.has(String(property.value)), `panel ${panel.title}: fillBelowTo ${property.value}`).toBe(true);
            }
          }
          for (const url of links(panel)) {
            for (const [, field] of url.matchAll(/\$\{__data\.fields\.(\w+)\}/g)) expect(names.has(field ?? ''), `panel ${panel.title}: link field ${field}`).toBe(true);
            checkDashboardLink(url, `panel ${panel.title}`);
          }
        }
      });
    });
  }

  it('open the segment drill-down from the Slack links with the segment set', () => {
    const config = parseConfig({ alerts: { grafanaUrl: 'https://grafana.example/' } });
    const url = drillDownUrl({ model: 'card-auth', segment: { issuer: "O'Neil & Sons Bank", region: 'EU' } }, config);
    expect(url).toBeDefined();
    checkDashboardLink(url ?? '', 'Slack link');
    const segment = dashboards.find((d) => d.dashboard.uid === 'driftwatch-segment')?.dashboard;
    const byName = new Map((segment?.templating?.list ?? []).map((v) => [v.name, v]));
    for (const name of config.segments) expect(byName.get(name)?.multi, `${name} is a multi-value variable, so Slack's single value and "All" both work`).toBe(true);
    expect(byName.get('model')?.multi).toBe(false);
    // Slack's link sets var-<column>: the variable of that name filters on the column the matching constant names.
    const constants = shippedConstants(segment ?? {});
    config.segments.forEach((column, i) => {
      const slot = ['segment_a', 'segment_b'][i] ?? '';
      expect(constants[slot], `${slot} ships the config's segment column ${i + 1}`).toBe(column);
      expect(variableQuery(byName.get(column) ?? {}), `variable ${column} lists the values of segment[\${${slot}}]`).toContain(`segment[\${${slot}:sqlstring}]`);
    });
  });

  it('declare the schema constants wherever their names are used, so one edit per dashboard sets the schema', () => {
    for (const { dashboard } of dashboards) {
      const constants = shippedConstants(dashboard);
      const used = dashboardQueries(dashboard).map((q) => q.text).join('\n');
      for (const name of SCHEMA_CONSTANTS) if (used.includes(`\${${name}`)) expect(constants[name], `${dashboard.uid} declares ${name}`).toBeDefined();
      expect(constants.driftwatch_database, `${dashboard.uid} reads driftwatch's database through driftwatch_database`).toBeDefined();
    }
  });

  it('link the Overview\'s findings table to the drill-down', () => {
    const overview = dashboards.find((d) => d.dashboard.uid === 'driftwatch-overview')?.dashboard;
    const urls = allPanels(overview ?? {}).flatMap(links);
    expect(urls.some((u) => u.startsWith('/d/driftwatch-segment/segment-drill-down?'))).toBe(true);
  });
});

describe('provisioning', () => {
  it('defines the ClickHouse datasource for the official plugin, password from the environment', () => {
    const clickhouse = provisioned.find((d) => d.type === CLICKHOUSE_TYPE);
    expect(clickhouse?.uid).toBe('driftwatch-clickhouse');
    expect(Object.keys(clickhouse?.jsonData ?? {})).toEqual(expect.arrayContaining(['host', 'port', 'protocol', 'defaultDatabase', 'username']));
    expect(['http', 'native']).toContain(clickhouse?.jsonData?.protocol);
    expect(clickhouse?.secureJsonData?.password).toBe('$CLICKHOUSE_PASSWORD');
  });

  it('defines the Prometheus datasource', () => {
    const prometheus = provisioned.find((d) => d.type === PROMETHEUS_TYPE);
    expect(prometheus?.uid).toBe('driftwatch-prometheus');
    expect(prometheus?.url).toMatch(/^https?:\/\//);
  });

  it('loads the dashboards from the directory docker-compose.yml mounts them at', () => {
    const provider = (parse(readFileSync(join(ROOT, 'grafana/provisioning/dashboards/driftwatch.yml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] }).providers[0];
    expect(provider?.type).toBe('file');
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: { grafana: { volumes: string[] } } };
    expect(compose.services.grafana.volumes).toContain(`./grafana/dashboards:${provider?.options.path}:ro`);
  });
});
