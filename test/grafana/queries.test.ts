// Every ClickHouse query of every dashboard, macros and variables expanded as Grafana does, runs on seeded history and returns rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../../src/cycle.js';
import { refreshRollup } from '../../src/rollup/index.js';
import type { CycleResult } from '../../src/core/types.js';
import { ensureTables } from '../../src/setup.js';
import { writeHistory } from '../../src/sinks/history.js';
import { seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { CLICKHOUSE_TYPE, dashboardQueries, expandClickHouse, loadDashboards, variableQuery, type Dashboard, type Expansion, type Selection } from './dashboards.js';

const END = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
/** Two cycles an hour apart, like a daemon's history (every 5 minutes) at a coarser step. */
const CYCLES = [new Date(END.getTime() - HOUR), END];
/** What a panel over "the last 2 days" asks for, with Grafana's interval for ~1000 points. */
const RANGE = { from: new Date(END.getTime() - 48 * HOUR), to: new Date(END.getTime() + 5 * 60_000), intervalSeconds: 300 };

let t: TempStore;
const results: CycleResult[] = [];

beforeAll(async () => {
  t = await tempStore({ features: ['amount_z', 'device_risk'] });
  await ensureTables(t.store, t.config);
  await seed(t.store, t.config, { days: 9, end: END, seed: 11, scenarios: ['issuer-outage', 'shadow-worse'], eventsPerDay: 60_000 });
  for (const at of CYCLES) {
    // As the daemon does before every cycle: fold new and newly matured hours into the hourly rollup.
    await refreshRollup(t.store, t.config, at);
    const result = await runCycle(t.store, t.config, { at });
    await writeHistory(t.store, t.config, result, `grafana-test-${at.toISOString()}`);
    results.push(result);
  }
});
afterAll(() => t?.cleanup());

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return t.store.select<Record<string, unknown>>(sql);
}

/** Runs a variable's own query (with the variables before it chosen) and returns its options, as Grafana fills a drop-down. */
async function options(dashboard: Dashboard, name: string, chosen: Record<string, Selection>): Promise<string[]> {
  const variable = dashboard.templating?.list?.find((v) => v.name === name);
  if (!variable) throw new Error(`${dashboard.uid} has no variable ${name}`);
  const found = await rows(expandClickHouse(variableQuery(variable), { ...RANGE, variables: chosen }));
  return found.map((row) => String(Object.values(row)[0]));
}

/**
 * The selections a user would make: each variable's first option (the dashboards order issuers worst first), in
 * the order the variables are declared, so chained variables see the ones before. Also the "All" selection.
 */
async function selections(dashboard: Dashboard): Promise<{ one: Record<string, Selection>; all: Record<string, Selection> }> {
  const one: Record<string, Selection> = {};
  const all: Record<string, Selection> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    const name = variable.name ?? '';
    const list = await options(dashboard, name, one);
    expect(list.length, `variable ${name} of ${dashboard.uid} has options on seeded history`).toBeGreaterThan(0);
    const first = list[0] ?? '';
    one[name] = variable.multi ? [first] : first;
    all[name] = variable.includeAll ? { all: await options(dashboard, name, all) } : variable.multi ? [first] : first;
  }
  return { one, all };
}

describe('seeded history', () => {
  it('has the rows the dashboards read: segments judged, findings, shadow verdicts, quality, folded rollup hours', async () => {
    const last = results.at(-1);
    expect(last?.evaluations.length).toBeGreaterThan(20);
    expect(last?.findings.some((f) => f.severity === 'critical')).toBe(true);
    expect(last?.shadow.length, 'the shadow monitor judged the seeded shadow version').toBeGreaterThan(0);
    const [folded] = await rows("SELECT countIf(kind = 'labels') AS labels, countIf(kind = 'events') AS events FROM driftwatch_rollup_ledger");
    expect(Number(folded?.labels)).toBeGreaterThan(24);
    expect(Number(folded?.events)).toBeGreaterThan(24);
  });
});

for (const { file, dashboard } of loadDashboards()) {
  describe(`${file} (${dashboard.uid})`, () => {
    const queries = dashboardQueries(dashboard).filter((q) => q.datasource.type === CLICKHOUSE_TYPE);

    it('has ClickHouse queries to check', () => {
      expect(queries.length).toBeGreaterThan(0);
    });

    for (const query of queries) {
      it(`${query.where} runs and returns rows, one segment and "All" selected`, async () => {
        const { one, all } = await selections(dashboard);
        for (const [label, variables] of [['one', one], ['all', all]] as const) {
          const expansion: Expansion = { ...RANGE, variables };
          const sql = expandClickHouse(query.text, expansion);
          let found: Record<string, unknown>[];
          try {
            found = await rows(sql);
          } catch (error) {
            throw new Error(`${query.where} (${label}) failed: ${(error as Error).message}\n--- SQL ---\n${sql}`, { cause: error });
          }
          expect(found.length, `${query.where} (${label}) returned no rows for ${JSON.stringify(variables)}\n--- SQL ---\n${sql}`).toBeGreaterThan(0);
        }
      });
    }
  });
}

describe('the macro expansion itself', () => {
  it('matches the plugin for $__timeFilter, $__timeInterval, $__interval_s, $__fromTime/$__toTime and $__conditionalAll', () => {
    const expansion: Expansion = {
      from: new Date('2026-11-18T00:00:00Z'),
      to: new Date('2026-11-20T00:00:00Z'),
      intervalSeconds: 60,
      variables: { model: 'card-auth', issuer: ["BANK O'B", 'BANK B'], region: { all: ['EU', 'NA'] } },
    };
    const sql = expandClickHouse(
      "SELECT $__timeInterval(at) AS t, $__interval_s AS s FROM h WHERE $__timeFilter(at) AND at < $__toTime AND at > $__fromTime AND model = ${model:sqlstring} AND $__conditionalAll(segment['issuer'] IN (${issuer:sqlstring}), $issuer) AND $__conditionalAll(segment['region'] IN (${region:sqlstring}), $region) AND x IN ($issuer)",
      expansion,
    );
    const [from, to] = [expansion.from.getTime() / 1000, expansion.to.getTime() / 1000];
    expect(sql).toBe(
      `SELECT toStartOfInterval(toDateTime(at), INTERVAL 60 second) AS t, 60 AS s FROM h WHERE at >= toDateTime(${from}) AND at <= toDateTime(${to}) AND at < toDateTime(${to}) AND at > toDateTime(${from}) AND model = 'card-auth' AND segment['issuer'] IN ('BANK O''B','BANK B') AND 1=1 AND x IN ('BANK O'B','BANK B')`,
    );
  });

  it('refuses a variable or macro it does not know, so a typo fails the test instead of the dashboard', () => {
    const expansion: Expansion = { ...RANGE, variables: { model: 'card-auth' } };
    expect(() => expandClickHouse('SELECT 1 WHERE m = ${modle:sqlstring}', expansion)).toThrow(/unexpanded/);
    expect(() => expandClickHouse('SELECT $__timeFliter(at)', expansion)).toThrow(/not a macro/);
  });
});
