// Every ClickHouse query of every dashboard, macros and variables expanded as Grafana does, runs on seeded history and returns rows:
// with the variables as provisioned (driftwatch's tables in the `driftwatch` database), with one segment chosen, and for another schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../../src/cycle.js';
import { refreshRollup } from '../../src/rollup/index.js';
import type { CycleResult } from '../../src/core/types.js';
import { ensureTables } from '../../src/setup.js';
import { writeHistory } from '../../src/sinks/history.js';
import { seed } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { CLICKHOUSE_TYPE, dashboardQueries, expandClickHouse, loadDashboards, shippedConstants, variableQuery, type Dashboard, type Expansion, type Selection } from './dashboards.js';

const END = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
/** Two cycles an hour apart, like a daemon's history (every 5 minutes) at a coarser step. */
const CYCLES = [new Date(END.getTime() - HOUR), END];
/** What a panel over "the last 2 days" asks for, with Grafana's interval for ~1000 points. */
const RANGE = { from: new Date(END.getTime() - 48 * HOUR), to: new Date(END.getTime() + 5 * 60_000), intervalSeconds: 300 };

/**
 * Another install's schema, as docs/operations.md ("Grafana") has the constants set for it: driftwatch's tables in
 * `dw_elsewhere`, the history table called `metrics`, segments `[bank, area]`. beforeAll copies the seeded tables there.
 */
const ELSEWHERE = { driftwatch_database: 'dw_elsewhere', history_table: 'metrics', segment_a: 'bank', segment_b: 'area' };

let t: TempStore;
const results: CycleResult[] = [];
const dashboards = loadDashboards();

beforeAll(async () => {
  t = await tempStore({ features: ['amount_z', 'device_risk'], monitors: { performance: { enabled: true } } });
  // The history table lives in driftwatch's own database (store.driftwatchDatabase), as in production.
  await t.store.command('CREATE DATABASE IF NOT EXISTS driftwatch', {}, 'test');
  await ensureTables(t.store, t.config);
  await seed(t.store, t.config, { days: 9, end: END, seed: 11, scenarios: ['issuer-outage', 'shadow-worse', 'ab-better'], eventsPerDay: 40_000 });
  for (const at of CYCLES) {
    // As the daemon does before every cycle: fold new and newly matured hours into the hourly rollup.
    await refreshRollup(t.store, t.config, at);
    const result = await runCycle(t.store, t.config, { at });
    await writeHistory(t.store, t.config, result, `grafana-test-${at.toISOString()}`);
    results.push(result);
  }
  // The same history under another schema: segment keys renamed, tables in another database under other names.
  await t.store.command(`CREATE DATABASE IF NOT EXISTS ${ELSEWHERE.driftwatch_database}`, {}, 'test');
  await t.store.command(`CREATE TABLE ${ELSEWHERE.driftwatch_database}.${ELSEWHERE.history_table} AS driftwatch.driftwatch_metrics`, {}, 'test');
  await t.store.command(
    `INSERT INTO ${ELSEWHERE.driftwatch_database}.${ELSEWHERE.history_table}
     SELECT * REPLACE (mapApply((k, v) -> (multiIf(k = 'issuer', 'bank', k = 'region', 'area', k), v), segment) AS segment)
     FROM driftwatch.driftwatch_metrics`,
    {},
    'test',
  );
  const rollups = new Set(dashboards.flatMap(({ dashboard }) => dashboardQueries(dashboard).flatMap((q) => [...q.text.matchAll(/\b(driftwatch_rollup_\w+)/g)].map((m) => m[1] ?? ''))));
  for (const table of rollups) {
    await t.store.command(`CREATE TABLE ${ELSEWHERE.driftwatch_database}.${table} AS driftwatch.${table}`, {}, 'test');
    await t.store.command(`INSERT INTO ${ELSEWHERE.driftwatch_database}.${table} SELECT * FROM driftwatch.${table}`, {}, 'test');
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

interface Selections {
  /** As provisioned: constants at their value, "All" where the variable opens at it, else the first option. */
  provisioned: Record<string, Selection>;
  /** What a user narrowing down picks: each variable's first option (the dashboards list issuers worst first). */
  one: Record<string, Selection>;
}

/** The selections, in the order the variables are declared, so chained variables see the ones before. */
async function selections(dashboard: Dashboard, constants: Record<string, string>): Promise<Selections> {
  const provisioned: Record<string, Selection> = {};
  const one: Record<string, Selection> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    const name = variable.name ?? '';
    if (variable.type === 'constant') {
      provisioned[name] = one[name] = constants[name] ?? String(variable.current?.value);
      continue;
    }
    const list = await options(dashboard, name, one);
    expect(list.length, `variable ${name} of ${dashboard.uid} has options on seeded history (${JSON.stringify(constants)})`).toBeGreaterThan(0);
    const first = list[0] ?? '';
    one[name] = variable.multi ? [first] : first;
    const opensAtAll = [variable.current?.value].flat().includes('$__all');
    provisioned[name] = opensAtAll
      ? { all: await options(dashboard, name, provisioned), ...(variable.allValue !== undefined ? { allValue: variable.allValue } : {}) }
      : variable.multi
        ? [(await options(dashboard, name, provisioned))[0] ?? '']
        : ((await options(dashboard, name, provisioned))[0] ?? '');
  }
  return { provisioned, one };
}

const cache = new Map<string, Promise<Selections>>();
function selectionsOnce(dashboard: Dashboard, constants: Record<string, string>): Promise<Selections> {
  const key = `${dashboard.uid} ${JSON.stringify(constants)}`;
  if (!cache.has(key)) cache.set(key, selections(dashboard, constants));
  return cache.get(key) as Promise<Selections>;
}

async function runs(where: string, text: string, variables: Record<string, Selection>, label: string): Promise<string> {
  const sql = expandClickHouse(text, { ...RANGE, variables });
  let found: Record<string, unknown>[];
  try {
    found = await rows(sql);
  } catch (error) {
    throw new Error(`${where} (${label}) failed: ${(error as Error).message}\n--- SQL ---\n${sql}`, { cause: error });
  }
  expect(found.length, `${where} (${label}) returned no rows for ${JSON.stringify(variables)}\n--- SQL ---\n${sql}`).toBeGreaterThan(0);
  return sql;
}

describe('seeded history', () => {
  it('has the rows the dashboards read: segments judged, findings, shadow verdicts, quality, folded rollup hours', async () => {
    const last = results.at(-1);
    expect(last?.evaluations.length).toBeGreaterThan(20);
    expect(last?.findings.some((f) => f.severity === 'critical')).toBe(true);
    expect(last?.shadow.length, 'the shadow monitor judged the seeded shadow version').toBeGreaterThan(0);
    const [folded] = await rows("SELECT countIf(kind = 'labels') AS labels, countIf(kind = 'events') AS events FROM driftwatch.driftwatch_rollup_ledger");
    expect(Number(folded?.labels)).toBeGreaterThan(24);
    expect(Number(folded?.events)).toBeGreaterThan(24);
  });

  it("is in driftwatch's own database, where the dashboards' defaults point, and nowhere else", async () => {
    const found = await rows(
      `SELECT database, name FROM system.tables WHERE name IN ('driftwatch_metrics', 'driftwatch_rollup_labels') AND database != '${ELSEWHERE.driftwatch_database}' ORDER BY name, database`,
    );
    expect(found).toEqual([
      { database: 'driftwatch', name: 'driftwatch_metrics' },
      { database: 'driftwatch', name: 'driftwatch_rollup_labels' },
    ]);
    // Segments are kept by column name (the keys segment_a and segment_b name), in config order: the panels name a
    // series by the segment's values in that order (arrayStringConcat(mapValues(segment), ' / ')).
    const keys = await rows('SELECT DISTINCT mapKeys(segment) AS keys FROM driftwatch.driftwatch_metrics WHERE length(segment) > 0');
    expect(keys).toEqual([{ keys: t.config.segments }]);
  });
});

for (const { file, dashboard } of dashboards) {
  describe(`${file} (${dashboard.uid})`, () => {
    const queries = dashboardQueries(dashboard).filter((q) => q.datasource.type === CLICKHOUSE_TYPE);
    const shipped = shippedConstants(dashboard);

    it('has ClickHouse queries to check', () => {
      expect(queries.length).toBeGreaterThan(0);
    });

    for (const query of queries) {
      it(`${query.where} runs and returns rows as provisioned (driftwatch.driftwatch_metrics) and with one segment chosen`, async () => {
        const { provisioned, one } = await selectionsOnce(dashboard, shipped);
        const sql = await runs(query.where, query.text, provisioned, 'as provisioned');
        if (query.text.includes('${history_table}')) expect(sql, 'the defaults read the history table in the driftwatch database').toContain('driftwatch.driftwatch_metrics');
        if (query.text.includes('driftwatch_rollup_')) expect(sql).toMatch(/\bdriftwatch\.driftwatch_rollup_\w+/);
        await runs(query.where, query.text, one, 'one segment');
      });

      it(`${query.where} runs for another schema set through the constants (${JSON.stringify(ELSEWHERE)})`, async () => {
        const constants = Object.fromEntries(Object.keys(shipped).map((name) => [name, ELSEWHERE[name as keyof typeof ELSEWHERE] ?? shipped[name] ?? '']));
        const { provisioned, one } = await selectionsOnce(dashboard, constants);
        for (const [label, variables] of [['as provisioned', provisioned], ['one segment', one]] as const) {
          const sql = await runs(query.where, query.text, variables, `${label}, another schema`);
          expect(sql, 'nothing reads the default database or names the default columns').not.toMatch(/\bdriftwatch\.|driftwatch_metrics|'issuer'|'region'/);
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
      variables: { model: 'card-auth', segment_a: 'issuer', segment_b: 'region', issuer: ["BANK O'B", 'BANK B'], region: { all: ['EU', 'NA'] } },
    };
    const sql = expandClickHouse(
      'SELECT $__timeInterval(at) AS t, $__interval_s AS s FROM h WHERE $__timeFilter(at) AND at < $__toTime AND at > $__fromTime AND model = ${model:sqlstring} AND $__conditionalAll(segment[${segment_a:sqlstring}] IN (${issuer:sqlstring}), $issuer) AND $__conditionalAll(segment[${segment_b:sqlstring}] IN (${region:sqlstring}), $region) AND x IN ($issuer)',
      expansion,
    );
    const [from, to] = [expansion.from.getTime() / 1000, expansion.to.getTime() / 1000];
    expect(sql).toBe(
      `SELECT toStartOfInterval(toDateTime(at), INTERVAL 60 second) AS t, 60 AS s FROM h WHERE at >= toDateTime(${from}) AND at <= toDateTime(${to}) AND at < toDateTime(${to}) AND at > toDateTime(${from}) AND model = 'card-auth' AND segment['issuer'] IN ('BANK O''B','BANK B') AND 1=1 AND x IN ('BANK O'B','BANK B')`,
    );
  });

  it('passes a custom all value on unformatted, and $__conditionalAll still sees "All"', () => {
    const expansion: Expansion = { ...RANGE, variables: { issuer: { all: ['A', 'B'], allValue: '.*' } } };
    expect(expandClickHouse('WHERE $__conditionalAll(k IN (${issuer:sqlstring}), $issuer)', expansion)).toBe('WHERE 1=1');
    expect(expandClickHouse('WHERE k IN (${issuer:sqlstring})', expansion)).toBe('WHERE k IN (.*)');
  });

  it('refuses a variable or macro it does not know, so a typo fails the test instead of the dashboard', () => {
    const expansion: Expansion = { ...RANGE, variables: { model: 'card-auth' } };
    expect(() => expandClickHouse('SELECT 1 WHERE m = ${modle:sqlstring}', expansion)).toThrow(/unexpanded/);
    expect(() => expandClickHouse('SELECT $__timeFliter(at)', expansion)).toThrow(/not a macro/);
  });
});
