// A daemon store whose every request first goes to a real remote ClickHouse (through the real client and a proxy), then to the embedded data.
import type { QueryParams, Store } from '../../src/store/index.js';

/**
 * The old Debian server cannot run driftwatch's parameterised queries, so the data lives in the embedded
 * store, and every select, command, insert and ping first makes a real round trip to the remote: its
 * faults (refused, timed out, reset, restarted, a query error) reach the daemon exactly as the client
 * reports them. `failing` names a query that the remote answers with an error; `before` runs before a
 * named query is sent (to stop the server mid-cycle). With `reaches` false the remote is left out (a gate
 * in front of a dead address is then a store that fails on demand).
 */
export interface RemoteGate extends Store {
  reaches: (name: string) => boolean;
  failing: string | undefined;
  before: { query: string; run: () => Promise<void> } | undefined;
  /** Names of the queries sent, in order. */
  readonly sent: string[];
}

export function remoteGate(remote: Store, local: Store): RemoteGate {
  const gate: RemoteGate = {
    kind: 'remote',
    location: remote.location,
    client: local.client,
    reaches: () => true,
    failing: undefined,
    before: undefined,
    sent: [],
    async select<T>(sql: string, params?: QueryParams, name?: string): Promise<T[]> {
      await pass(name ?? 'select');
      return local.select<T>(sql, params, name);
    },
    async command(sql: string, params?: QueryParams, name?: string): Promise<void> {
      await pass(name ?? 'command');
      return local.command(sql, params, name);
    },
    async insert(table: string, rows: readonly object[], name?: string): Promise<void> {
      await pass(name ?? `insert into ${table}`);
      return local.insert(table, rows, name);
    },
    async ping(): Promise<boolean> {
      return (!gate.reaches('ping') || (await remote.ping())) && (await local.ping());
    },
    close: () => remote.close(),
  };
  async function pass(name: string): Promise<void> {
    gate.sent.push(name);
    if (gate.before?.query === name) {
      const { run } = gate.before;
      gate.before = undefined;
      await run();
    }
    if (!gate.reaches(name)) return;
    await remote.select(gate.failing === name ? 'SELECT throwIf(1)' : 'SELECT 1', {}, name);
  }
  return gate;
}
