// A fresh embedded store in a temp directory, with the schema created: one per test file (the engine is per process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config, type ConfigInput } from '../../src/config/index.js';
import { ensureSchema, openStore, type QueryParams, type Store } from '../../src/store/index.js';

export interface TempStore {
  store: Store;
  config: Config;
  dir: string;
  cleanup(): Promise<void>;
}

export async function tempStore(overrides: ConfigInput = {}): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-test-'));
  // The performance monitor is off unless a test names it (test time: a third of a cycle's label reads); its own
  // tests, the rollup equivalence suites and the contracts turn it on, and the shipped default is on.
  const monitors = { performance: { enabled: false }, ...(overrides.monitors ?? {}) };
  const config = parseConfig({ ...overrides, monitors, store: { ...(overrides.store ?? {}), path: join(dir, 'data') } });
  const store = openStore(config);
  await ensureSchema(store, config);
  return {
    store,
    config,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The store, recording the SQL text of every statement sent through it (the statement only: data after FORMAT is data; an insert as `INSERT INTO table`). */
export function recording(store: Store): Store & { statements: string[] } {
  const statements: string[] = [];
  const note = (sql: string) => statements.push(sql.split(/FORMAT JSONEachRow\n/)[0] ?? sql);
  return {
    kind: store.kind,
    location: store.location,
    client: store.client,
    statements,
    select<T>(sql: string, params?: QueryParams, name?: string) {
      note(sql);
      return store.select<T>(sql, params, name);
    },
    command(sql: string, params?: QueryParams, name?: string) {
      note(sql);
      return store.command(sql, params, name);
    },
    insert(table, rows, name) {
      statements.push(`INSERT INTO ${table}`);
      return store.insert(table, rows, name);
    },
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/**
 * A users.xml for the embedded engine started with a config file (`--config-file`): its one user, `default`, with
 * `inner` (its <grants> or <databases> row policies) beside the password, profile, quota and networks it needs.
 */
export function defaultUserXml(inner: string): string {
  return `<clickhouse>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
  <users>
    <default>
      <password></password>
      <profile>default</profile>
      <quota>default</quota>
      <networks><ip>::/0</ip></networks>
${inner}
    </default>
  </users>
</clickhouse>
`;
}
