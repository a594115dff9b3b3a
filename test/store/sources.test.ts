// The user's schema: sources in another database under other names, mappings as expressions, optional columns
// absent, and source tables that are only ever read.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureLines } from '../../src/cli/check-config.js';
import { openSession, settleSession } from '../../src/cli/common.js';
import { runCycle } from '../../src/cycle.js';
import { prepareCycle } from '../../src/prepare.js';
import { rebuildRollup } from '../../src/rollup/index.js';
import { ingestFile } from '../../src/ingest/index.js';
import { seed } from '../../src/synth/index.js';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { parseConfig } from '../../src/config/index.js';
import { alertTableDdl } from '../../src/alerts/index.js';
import { ensureTables } from '../../src/setup.js';
import type { CycleResult } from '../../src/core/types.js';
import { renderSql } from '../../src/store/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const END = new Date('2026-11-20T00:00:00Z');
const AT = new Date('2026-11-19T23:55:00Z');
let t: TempStore;

const COMMON = 'windows: { current: [1h, 24h], maturity: 1h }\nminVolume: 100\n';

/** The default schema's traffic, copied into `payments` as a team might keep it: other names, an Enum status, a JSON payload. */
const OTHER_SCHEMA = [
  'CREATE DATABASE IF NOT EXISTS payments',
  `CREATE TABLE payments.auth_log (
     ts DateTime64(3, 'UTC'), txn String, model_name LowCardinality(String), version String, kind LowCardinality(String),
     bank LowCardinality(String), area LowCardinality(String), payload String, action LowCardinality(String)
   ) ENGINE = MergeTree ORDER BY (model_name, ts)`,
  `INSERT INTO payments.auth_log SELECT event_time, transaction_id, model, model_version, variant, issuer, region,
     toJSONString(map('score', score)), decision FROM scoring_events`,
  `CREATE TABLE payments.auth_result (txn String, decided_at DateTime64(3, 'UTC'), status Enum8('APPROVED' = 1, 'DECLINED' = 2))
   ENGINE = ReplacingMergeTree(decided_at) ORDER BY txn`,
  `INSERT INTO payments.auth_result SELECT transaction_id, outcome_time, if(approved = 1, 'APPROVED', 'DECLINED') FROM outcomes`,
];

function configFile(name: string, text: string, store = ''): string {
  const path = join(t.dir, name);
  writeFileSync(path, `store: { path: ${JSON.stringify(t.config.store.path)}${store} }\n${text}`);
  return path;
}

const defaultConfig = () => configFile('default.yaml', COMMON);
const otherConfig = () =>
  configFile(
    'other.yaml',
    `tables: { events: payments.auth_log, outcomes: payments.auth_result }
segments: [bank, area]
columns:
  events: { event_time: ts, transaction_id: txn, model: model_name, model_version: version, variant: kind, decision: action, score: "JSONExtractFloat(payload, 'score')" }
  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }
${COMMON}`,
    ', driftwatchDatabase: dw_payments',
  );

async function cycle(path: string): Promise<CycleResult> {
  const session = await settleSession(await openSession(path, silentLogger), AT);
  try {
    const { store, config, logger } = session;
    return await runCycle(store, config, { logger, ...(await prepareCycle(store, config, AT, { logger })) });
  } finally {
    await session.store.close();
  }
}

/** A finding as a line that does not depend on what the segment columns are called. */
const line = (f: CycleResult['findings'][number]) =>
  [f.monitor, f.model, Object.values(f.segment).join('/'), f.feature, f.window ?? '', f.severity, f.value.toPrecision(10), f.nCurrent, f.nReference].join(' ');

async function sourceRows(): Promise<Record<string, number>> {
  const [row] = await t.store.select<Record<string, number>>(
    'SELECT (SELECT count() FROM scoring_events) AS events, (SELECT count() FROM outcomes) AS outcomes, (SELECT count() FROM payments.auth_log) AS log, (SELECT count() FROM payments.auth_result) AS result',
  );
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}

async function showCreate(): Promise<string[]> {
  const tables = ['scoring_events', 'outcomes', 'payments.auth_log', 'payments.auth_result'];
  return Promise.all(tables.map(async (table) => (await t.store.select<{ statement: string }>(`SHOW CREATE TABLE ${table}`))[0]?.statement ?? ''));
}

beforeAll(async () => {
  t = await tempStore();
  await seed(t.store, t.config, { days: 9, end: END, seed: 5, scenarios: ['issuer-outage', 'score-drift', 'miscalibration', 'shadow-worse'], eventsPerDay: 15_000 });
  for (const statement of OTHER_SCHEMA) await t.store.command(statement);
});
afterAll(() => t.cleanup());

describe('a source in another database, with other names, expressions and no optional columns', () => {
  it('gives the same findings as the same traffic in the default schema', async () => {
    const mine = await cycle(defaultConfig());
    const theirs = await cycle(otherConfig());
    expect(mine.findings.filter((f) => f.severity === 'critical').length).toBeGreaterThan(3);
    expect(theirs.findings.map(line).sort()).toEqual(mine.findings.map(line).sort());
    expect(theirs.findings.find((f) => f.monitor === 'psi')?.segment).toHaveProperty('bank');
    // The shadow compares by version and decision, both mapped; only the latency budget is off (no latency column).
    expect(theirs.shadow.map((s) => [s.shadowVersion, s.verdict])).toEqual(mine.shadow.map((s) => [s.shadowVersion, s.verdict]));
  });

  it("keeps driftwatch's tables in its own database, apart from the sources", async () => {
    const rows = await t.store.select<{ database: string; n: number }>(
      "SELECT database, count() AS n FROM system.tables WHERE startsWith(name, 'driftwatch_') GROUP BY database ORDER BY database",
    );
    expect(rows.map((r) => r.database)).toEqual(['driftwatch', 'dw_payments']);
    const payments = await t.store.select<{ name: string }>("SELECT name FROM system.tables WHERE database = 'payments' ORDER BY name");
    expect(payments.map((r) => r.name)).toEqual(['auth_log', 'auth_result']);
  });

  it('says what is switched off and why, and what each mapping is', async () => {
    const session = await openSession(otherConfig(), silentLogger);
    await session.store.close();
    const off = session.sources?.off ?? [];
    expect(off).toEqual([
      "shadow comparisons' latency budget off: payments.auth_log has no column latency_ms (columns.events.latency_ms)",
      'feature drift off: payments.auth_log has no column features (columns.events.features)',
      'chargeback maturity off: payments.auth_result has no column chargeback (columns.outcomes.chargeback)',
    ]);
    const approved = session.sources?.columns.find((c) => c.key === 'outcomes' && c.canonical === 'approved');
    expect(approved).toMatchObject({ mapping: "status = 'APPROVED'", type: 'UInt8' });
    expect(session.config.columns.events.latency_ms).toBeNull();
  });
});

describe('mappings the engine refuses', () => {
  const refused = async (columns: string, features = '') => {
    const path = configFile('bad.yaml', `tables: { events: payments.auth_log, outcomes: payments.auth_result }\nsegments: [bank, area]\n${features}columns:\n${columns}\n${COMMON}`, ', driftwatchDatabase: dw_refused');
    const error = await openSession(path, silentLogger).then(
      async (s) => {
        await s.store.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  };
  const events = '  events: { event_time: ts, transaction_id: txn, model: model_name, model_version: version, variant: kind, decision: action, score: "JSONExtractFloat(payload, \'score\')" }';

  it('an expression over a column the table lacks: exit 2 naming the key and the engine\'s words, nothing created', async () => {
    const message = await refused(`${events}\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "state = 'APPROVED'" }`);
    expect(message).toContain("payments.auth_result: columns.outcomes.approved = \"state = 'APPROVED'\" is not an expression over its columns");
    expect(message).toMatch(/Unknown expression or function identifier `state`.*Maybe you meant: \['status'\]/);
    const created = await t.store.select("SELECT name FROM system.databases WHERE name = 'dw_refused'");
    expect(created).toEqual([]);
  });

  it('an optional column named explicitly but missing is an error, not switched off', async () => {
    const message = await refused(`${events.replace(' }', ', latency_ms: took_ms }')}\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }`);
    expect(message).toContain('payments.auth_log: column took_ms (columns.events.latency_ms) is missing');
  });

  it('features listed without a features column', async () => {
    const message = await refused(`${events}\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }`, 'features: [amount_z]\n');
    expect(message).toContain('features lists amount_z but the events have no features column (columns.events.features)');
  });

  it('a numeric column in features: exit 2 naming features and where numeric features come from', async () => {
    const path = configFile('numeric-feature.yaml', `features: [amount_z, amount]\n${COMMON}`, ', driftwatchDatabase: dw_refused');
    const error = await openSession(path, silentLogger).then(
      async (s) => {
        await s.store.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toContain('scoring_events: features lists amount, a Float64 column; numeric features come from the features map (columns.events.features)');
    expect((error as Error).message).toContain('list in features only keys of the features map and String, FixedString or Enum columns of the events table');
  });

  it('a String column in features is categorical, and needs no features map', async () => {
    const path = configFile('categorical.yaml', readFileSync(otherConfig(), 'utf8').replace(/^store: .*\n/, '') + 'features: [action]\n', ', driftwatchDatabase: dw_payments');
    const session = await openSession(path, silentLogger);
    await session.store.close();
    expect(session.config.featureColumns).toEqual(['action']);
    expect(renderSql('SELECT categories FROM {{events}}', session.config)).toContain("map('action', trim(TRAILING '\\0' FROM toString(`action`)))");
  });

  it('check-config names how each feature is read, and a categorical one past monitors.psi.maxCategories', async () => {
    const path = configFile('capped.yaml', `features: [currency, amount_z]\nmonitors: { psi: { maxCategories: 2 } }\n${COMMON}`);
    const session = await openSession(path, silentLogger);
    await session.store.close().catch(() => undefined);
    const reopened = { config: session.config, store: t.store };
    expect(await featureLines(reopened, END)).toEqual([
      'features: currency (by category: a column of scoring_events), amount_z (a key of the features map)',
      'currency had 6 distinct values in the reference: its 2 most frequent are its PSI bins, the other 4 count as "other"; raise monitors.psi.maxCategories to bin more',
    ]);
  });

  it('an expression that would end its parentheses or hide the query is refused before the store is opened', async () => {
    const message = await refused(`${events}\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "1) FROM system.users --" }`);
    expect(message).toContain('columns.outcomes.approved: closes a bracket it did not open');
  });

  it('an aggregate is not a value of each row: the engine refuses it beside the table\'s columns', async () => {
    const message = await refused(`${events.replace('"JSONExtractFloat(payload, \'score\')"', '"max(JSONExtractFloat(payload, \'score\'))"')}\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }`);
    expect(message).toContain('columns.events.score');
    expect(message).toMatch(/not an expression over its columns: .*(aggregate|GROUP BY)/i);
  });

  it('a mapping of a type the queries cannot read stops the command, naming it (a numeric decision)', async () => {
    const message = await refused(`${events.replace('decision: action', 'decision: "length(action)"')}\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }`);
    expect(message).toContain("the source tables do not fit the config");
    expect(message).toContain("columns.events.decision (length(action)) is LowCardinality(UInt64), not a String (or Enum) of 'approve' / 'decline' / 'review'");
  });
});

describe('a mapping that names another mapping\'s column', () => {
  it('reads the table\'s column, not the other mapping\'s value (SELECT aliases do not leak)', async () => {
    // The table's `model` column holds the version and `model_name` the model: model_version: model must read the
    // column, not the alias `model` that model: model_name defines in the same SELECT.
    await t.store.command('CREATE TABLE payments.swapped (ts DateTime64(3, \'UTC\'), txn String, model String, model_name String, bank String, area String, p Float64) ENGINE = MergeTree ORDER BY ts');
    await t.store.command("INSERT INTO payments.swapped VALUES ('2026-11-19 12:00:00', 't1', 'v41', 'card-auth', 'B', 'EU', 0.5)");
    const path = configFile(
      'swapped.yaml',
      `tables: { events: payments.swapped, outcomes: payments.auth_result }\nsegments: [bank, area]\ncolumns:\n  events: { event_time: ts, transaction_id: txn, model: model_name, model_version: model, score: p }\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }\n${COMMON}`,
      ', driftwatchDatabase: dw_swapped',
    );
    const session = await openSession(path, silentLogger);
    try {
      const rows = await session.store.select<{ model: string; model_version: string; score: number; segment: string[] }>(renderSql('SELECT model, model_version, score, segment FROM {{events}}', session.config));
      expect(rows).toEqual([{ model: 'card-auth', model_version: 'v41', score: 0.5, segment: ['B', 'EU'] }]);
    } finally {
      await session.store.close();
    }
  });
});

describe('a source without a model version or decision', () => {
  it('switches the shadow comparison off, says so, and judges the rest alike', async () => {
    await t.store.command(`CREATE TABLE payments.bare ENGINE = MergeTree ORDER BY (model_name, ts) AS SELECT ts, txn, model_name, kind, bank, area, payload FROM payments.auth_log`);
    const path = configFile(
      'bare.yaml',
      `tables: { events: payments.bare, outcomes: payments.auth_result }\nsegments: [bank, area]\ncolumns:\n  events: { event_time: ts, transaction_id: txn, model: model_name, variant: kind, score: "JSONExtractFloat(payload, 'score')" }\n  outcomes: { transaction_id: txn, outcome_time: decided_at, approved: "status = 'APPROVED'" }\n${COMMON}`,
      ', driftwatchDatabase: dw_bare',
    );
    const session = await openSession(path, silentLogger);
    await session.store.close();
    expect(session.sources?.off).toContain('shadow comparisons (a shadow is told by its model version) off: payments.bare has no column model_version (columns.events.model_version)');
    expect(session.config.monitors.shadow.enabled).toBe(false);
    const bare = await cycle(path);
    const full = await cycle(defaultConfig());
    expect(bare.shadow).toEqual([]);
    expect(bare.findings.map(line).sort()).toEqual(full.findings.filter((f) => f.monitor !== 'shadow').map(line).sort());
  });
});

describe('source tables are only read', () => {
  it('SHOW CREATE TABLE of every source table is byte-identical after ingest, cycles and rollup --rebuild; only ingest added rows', async () => {
    const before = await showCreate();
    const counted = await sourceRows();
    const rowsBefore = { ...counted, outcomes: (counted.outcomes ?? 0) + 1 };
    const file = join(t.dir, 'late.jsonl');
    writeFileSync(file, `${JSON.stringify({ transaction_id: 'late-1', outcome_time: '2026-11-19 23:00:00.000', approved: 1, chargeback: null })}\n`);
    await ingestFile(t.store, t.config, { table: 'outcomes', file });
    for (const path of [defaultConfig(), otherConfig()]) {
      await cycle(path);
      const session = await settleSession(await openSession(path, silentLogger), AT);
      try {
        await rebuildRollup(session.store, session.config, AT, { logger: session.logger });
      } finally {
        await session.store.close();
      }
    }
    expect(await showCreate()).toEqual(before);
    expect(await sourceRows()).toEqual(rowsBefore);
    const mutations = await t.store.select<{ n: number }>("SELECT count() AS n FROM system.mutations WHERE database IN ('default', 'payments')");
    expect(Number(mutations[0]?.n)).toBe(0);
  });
});

describe("a store from before driftwatch's own database", () => {
  it('has its own tables moved once, rows and all, and nothing else', async () => {
    const config = parseConfig({ store: { path: t.config.store.path, driftwatchDatabase: 'dw_moved' } });
    const legacy = parseConfig({ store: { path: t.config.store.path, driftwatchDatabase: 'default' } });
    await t.store.command(alertTableDdl(legacy));
    await t.store.command("INSERT INTO default.driftwatch_alerts (key, version, state) VALUES ('a', 1, 'firing')");
    await ensureTables(t.store, config);
    const where = await t.store.select<{ database: string }>("SELECT database FROM system.tables WHERE name = 'driftwatch_alerts' AND database IN ('default', 'dw_moved')");
    expect(where).toEqual([{ database: 'dw_moved' }]);
    expect(await t.store.select("SELECT key, state FROM dw_moved.driftwatch_alerts")).toEqual([{ key: 'a', state: 'firing' }]);
    const sources = await t.store.select<{ name: string }>("SELECT name FROM system.tables WHERE database = 'default' ORDER BY name");
    expect(sources.map((r) => r.name)).toEqual(['outcomes', 'scoring_events']);
  });
});
