// Sharded sources: driftwatch over Distributed tables in the embedded engine, against the same rows in plain tables.
//
// How the embedded engine (chdb: clickhouse-local, no TCP server) holds a real two-shard Distributed table: a cluster
// of two shards that are both this process (localhost:9000 and 127.0.0.1:9000 with tcp_port 9000, so each is a local
// shard, read in-process: prefer_localhost_replica), over one MergeTree table per source whose rows a row policy
// splits by shardNum() (users.xml): shard 1 reads one half, shard 2 the other. So a query through the Distributed table
// runs as ClickHouse runs it on a cluster (a shard query per shard, each seeing only its shard's rows, merged at the
// initiator), and the shard tables have real parts in system.parts, listed per replica by clusterAllReplicas. Events and
// outcomes are split by different hashes: an event's outcome is on the other shard half of the time, so a join done
// per shard ('local') would lose it. What this cannot show: shards on other servers (the network, replicas that lag,
// hostName()/tcpPort() told apart per server), and the analyzer of servers before 24.3.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending, Session } from 'chdb';
import { defaultUserXml } from '../helpers/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseSettings } from '@clickhouse/client';
import { rawSource, rollupSource } from '../../src/aggregates/index.js';
import { learnMaturity } from '../../src/aggregates/maturity.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import { ConfigError } from '../../src/errors.js';
import { readTraffic } from '../../src/report/traffic.js';
import { reportPeriod } from '../../src/report/period.js';
import { refreshRollup, RollupState } from '../../src/rollup/index.js';
import { ensureTables } from '../../src/setup.js';
import { distributedSettings, parseDistributed } from '../../src/store/distributed.js';
import { chTime, openStore, type Store } from '../../src/store/index.js';
import { seed } from '../../src/synth/index.js';
import { eventRow, outcomeRow } from '../helpers/rows.js';
import { expectSameCycle } from '../rollup/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'driftwatch-distributed-'));
const data = join(dir, 'data');
const END = new Date('2026-11-20T12:00:00Z');
// The performance monitor off (test time): its sums fold with the labels, which these cases compare anyway.
const common = { windows: { current: ['1h', '24h'], maturity: '2h' }, minVolume: 60, monitors: { performance: { enabled: false } } };
/** The same rows in plain MergeTree tables: what every answer over the Distributed tables must equal. */
const plain = parseConfig({ ...common, store: { path: data, driftwatchDatabase: 'dw_plain' }, tables: { events: 'payments.scoring_events', outcomes: 'payments.outcomes' } });
const dist = parseConfig({ ...common, store: { path: data, driftwatchDatabase: 'dw_dist' }, tables: { events: 'dist.scoring_events', outcomes: 'dist.outcomes' } });
let session: Session | undefined;
let store: Store;

/** The store with these settings on every statement, and the statements that read both Distributed sources recorded. */
const bothSources = new Map<string, { query: string; params: Record<string, unknown> }>();
function through(settings: ClickHouseSettings): Store {
  const all: ClickHouseSettings = { output_format_json_quote_64bit_integers: 0, ...settings };
  const note = (query: string, name: string | undefined, params: Record<string, unknown> = {}) => {
    if (query.includes('`dist`.`scoring_events`') && query.includes('`dist`.`outcomes`')) bothSources.set(name ?? '?', { query, params });
  };
  return {
    kind: store.kind,
    location: store.location,
    client: store.client,
    async select<T>(query: string, params = {}, name?: string) {
      note(query, name, params);
      return (await (await store.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: all })).json()) as T[];
    },
    async command(query: string, params = {}, name?: string) {
      note(query, name, params);
      await store.client.command({ query, query_params: params, clickhouse_settings: all });
    },
    insert: (table, rows, name) => store.insert(table, rows, name),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** The server's defaults and the mode that reads each shard's own outcomes: with the analyzer neither may matter. */
const deny = () => through({ enable_analyzer: 1, distributed_product_mode: 'deny' });
const local = () => through({ enable_analyzer: 1, distributed_product_mode: 'local' });

/** Rows landing as a producer writes them: through the Distributed table (routed by its sharding key) and into the plain one. */
async function land(table: 'scoring_events' | 'outcomes', rows: Record<string, unknown>[]): Promise<void> {
  await store.insert(`payments.${table}`, rows);
  await store.insert(`dist.${table}`, rows);
  await store.command(`SYSTEM FLUSH DISTRIBUTED dist.${table}`);
}

const truth = (at: Date) => runCycle(store, plain, { at, source: rawSource(store, plain) });

beforeAll(async () => {
  writeFileSync(
    join(dir, 'users.xml'),
    defaultUserXml(`      <databases>
        <shard>
          <scoring_events><filter>cityHash64(transaction_id) % 2 = shardNum() - 1</filter></scoring_events>
          <outcomes><filter>xxHash64(transaction_id) % 2 = shardNum() - 1</filter></outcomes>
        </shard>
      </databases>`),
  );
  writeFileSync(
    join(dir, 'config.xml'),
    `<clickhouse>
  <users_config>${join(dir, 'users.xml')}</users_config>
  <tcp_port>9000</tcp_port>
  <remote_servers>
    <two_shards>
      <shard><replica><host>localhost</host><port>9000</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>9000</port></replica></shard>
    </two_shards>
  </remote_servers>
</clickhouse>
`,
  );
  // The first connection to a data directory starts the engine with its arguments; the store's connection joins it.
  session = new Session(data, { connectionArgs: [`--config-file=${join(dir, 'config.xml')}`] });
  store = openStore(dist);
  for (const db of ['payments', 'shard', 'dist']) await store.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await seed(store, plain, { days: 9, end: END, seed: 5, scenarios: ['issuer-outage', 'shadow-better'], eventsPerDay: 4_000, delays: 'slow' });
  for (const [table, key] of [['scoring_events', 'cityHash64'], ['outcomes', 'xxHash64']] as const) {
    await store.command(`CREATE TABLE shard.${table} AS payments.${table}`);
    await store.command(`INSERT INTO shard.${table} SELECT * FROM payments.${table}`);
    await store.command(`CREATE TABLE dist.${table} AS payments.${table} ENGINE = Distributed(two_shards, shard, ${table}, ${key}(transaction_id))`);
  }
  await ensureTables(store, plain, { sources: false });
  await ensureTables(store, dist, { sources: false });
}, 180_000);

afterAll(async () => {
  await store?.close();
  session?.close();
  await drainPending();
  rmSync(dir, { recursive: true, force: true });
});

describe('the embedded engine holds a two-shard Distributed table', () => {
  it('splits the rows between the shards, lists the shard tables\' parts per replica, and none of its own', async () => {
    const [counts] = await store.select<{ plain: number; dist: number; one: number; two: number; direct: number }>(
      `SELECT (SELECT count() FROM payments.outcomes) AS plain, (SELECT count() FROM dist.outcomes) AS dist,
              (SELECT countIf(_shard_num = 1) FROM dist.outcomes) AS one, (SELECT countIf(_shard_num = 2) FROM dist.outcomes) AS two,
              (SELECT count() FROM shard.outcomes) AS direct`,
    );
    expect(Number(counts?.dist)).toBe(Number(counts?.plain));
    expect(Number(counts?.one) + Number(counts?.two)).toBe(Number(counts?.plain));
    expect(Math.min(Number(counts?.one), Number(counts?.two))).toBeGreaterThan(Number(counts?.plain) / 3);
    // Read directly (not as a shard: shardNum() = 0), the shard table shows nothing: every read goes through the shards.
    expect(Number(counts?.direct)).toBe(0);
    // An event's outcome is on the other shard for about half the transactions: a join within each shard would lose them.
    const [split] = await store.select<{ n: number; apart: number }>(
      `SELECT count() AS n, countIf(cityHash64(transaction_id) % 2 != xxHash64(transaction_id) % 2) AS apart FROM payments.outcomes`,
    );
    expect(Number(split?.apart) / Number(split?.n)).toBeGreaterThan(0.4);
    const [parts] = await store.select<{ own: number; shards: number; replicas: number }>(
      `SELECT (SELECT count() FROM system.parts WHERE database = 'dist') AS own,
              (SELECT count() FROM system.parts WHERE active AND database = 'shard' AND table = 'outcomes') AS shards,
              (SELECT count() FROM clusterAllReplicas('two_shards', system.parts) WHERE active AND database = 'shard' AND table = 'outcomes') AS replicas`,
    );
    expect(Number(parts?.own)).toBe(0);
    expect(Number(parts?.replicas)).toBe(2 * Number(parts?.shards));
    const [engine] = await store.select<{ engine_full: string }>("SELECT engine_full FROM system.tables WHERE database = 'dist' AND name = 'outcomes'");
    expect(parseDistributed(engine?.engine_full ?? '')).toEqual({ cluster: 'two_shards', database: 'shard', table: 'outcomes' });
  });
});

describe('queries that join events and outcomes, over Distributed sources', () => {
  it('with the analyzer, run their joins at the initiator: raw and rollup cycles equal the plain tables\' under any distributed_product_mode', async () => {
    const expected = await truth(END);
    expect(expected.evaluations.length).toBeGreaterThan(20);
    expect(expected.shadow.length).toBeGreaterThan(0);
    // 'local' would replace each shard's outcomes subquery by its own half: any join sent to the shards would lose rows.
    expectSameCycle(await runCycle(local(), dist, { at: END, source: rawSource(local(), dist) }), expected);
    // 'deny', the default, refuses any IN or JOIN of a Distributed table sent to the shards: none is.
    const state = new RollupState();
    await refreshRollup(deny(), dist, END, { state });
    expectSameCycle(await runCycle(deny(), dist, { at: END, source: rollupSource(deny(), dist, state) }), expected);
    // The maturity's delay and the report's raw traffic read both sources too.
    expect(await learnMaturity(deny(), dist, END)).toEqual(await learnMaturity(store, plain, END));
    const period = reportPeriod(END);
    const rounded = (value: unknown) => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v))) as unknown;
    expect(rounded(await readTraffic(deny(), dist, period, undefined, { raw: true }))).toEqual(rounded(await readTraffic(store, plain, period, undefined, { raw: true })));
    // Every query of queries/ that reads both sources ran above, and change detection's own.
    expect([...bothSources.keys()].sort()).toEqual(
      expect.arrayContaining([
        'label_strips',
        'labels',
        'orphan_outcomes',
        'outcome_delay',
        'quality',
        'report_traffic',
        'rollup_fold_labels',
        'rollup_fold_orphans',
        'rollup_fold_shadow',
        'rollup_labels_raw',
        // shadow_pairs.sql, read inside shadow_compare.sql (the fold reads it directly: rollup_fold_shadow).
        'shadow_compare',
      ]),
    );
  });

  it('EXPLAIN with remote shards (the plan is built without connecting): the joins and sums sit above each source\'s ReadFromRemote', async () => {
    for (const name of ['labels', 'label_strips', 'shadow_compare', 'rollup_labels_raw']) {
      const recorded = bothSources.get(name);
      expect(recorded, name).toBeDefined();
      const select = (recorded?.query ?? '').trim();
      const rows = await (
        await store.client.query({ query: `EXPLAIN PLAN ${select}`, query_params: recorded?.params, format: 'TabSeparatedRaw', clickhouse_settings: { enable_analyzer: 1, prefer_localhost_replica: 0 } })
      ).text();
      const plan = rows.split('\n');
      const remote = plan.filter((line) => line.includes('ReadFromRemote'));
      // Both sources are read from the shards, and every read from the shards is a leaf: nothing is joined there.
      expect(remote.length, `${name}:\n${rows}`).toBeGreaterThanOrEqual(2);
      expect(plan.some((line) => /\bJoin\b|CreatingSet/.test(line)), `${name}:\n${rows}`).toBe(true);
      // A child's branch (──) would start right of its parent's name; the next node after a leaf starts left of it.
      plan.forEach((line, i) => {
        const at = line.indexOf('ReadFromRemote');
        const next = (plan[i + 1] ?? '').indexOf('──');
        if (at >= 0) expect(next < at, `${name}: ReadFromRemote is a leaf:\n${rows}`).toBe(true);
      });
    }
    await store.command('SET prefer_localhost_replica = 1');
  });

  it('without the analyzer, the raw path needs distributed_product_mode = global (store.distributed, on by default): the server default refuses its IN subqueries', async () => {
    const expected = await truth(END);
    const legacy = (settings: ClickHouseSettings) => through({ enable_analyzer: 0, ...settings });
    await expect(runCycle(legacy({ distributed_product_mode: 'deny' }), dist, { at: END, source: rawSource(legacy({ distributed_product_mode: 'deny' }), dist) })).rejects.toThrow(
      /Double-distributed IN\/JOIN subqueries is denied/,
    );
    // store.distributed (default true) sends 'global' with every statement; false leaves the server's value.
    expect(dist.store.distributed).toBe(true);
    const [sent] = await store.select<{ mode: string }>("SELECT getSetting('distributed_product_mode') AS mode");
    expect(sent?.mode).toBe('global');
    expect(distributedSettings(parseConfig({ store: { distributed: false } }))).toEqual({});
    const global = legacy({ distributed_product_mode: 'global' });
    expectSameCycle(await runCycle(global, dist, { at: END, source: rawSource(global, dist) }), expected);
    // The embedded engine keeps a setting sent with one statement for the next: the analyzer goes back on.
    await store.command('SET enable_analyzer = 1');
  });
});

describe('change detection over Distributed sources (the shard tables\' parts, per replica)', () => {
  // One state for the file's daemon-like cycles over the Distributed sources, one for the plain tables.
  const kept = new RollupState();
  const plainState = new RollupState();
  const refreshBoth = async (at: Date) => ({ plain: await refreshRollup(store, plain, at, { state: plainState }), dist: await refreshRollup(deny(), dist, at, { state: kept }) });
  const rollupCycle = (at: Date) => runCycle(deny(), dist, { at, source: rollupSource(deny(), dist, kept) });

  it('late events, late outcomes and corrected outcomes landing on the shards are re-folded, as for plain tables', async () => {
    await refreshBoth(END);
    expectSameCycle(await rollupCycle(END), await truth(END));

    // Events of an hour folded three days ago, written through the Distributed table.
    const hour = END.getTime() - 3 * 86_400_000 - 2 * 3_600_000;
    await land('scoring_events', Array.from({ length: 300 }, (_, i) => eventRow({ time: new Date(hour + i * 7_000), id: `late-${i}`, issuer: 'Northbank', region: 'NA', score: 0.02, version: 'v41' })));
    let summary = await refreshBoth(END);
    expect(summary.dist.refolded.events).toBe(1);
    expect(summary.dist.refolded).toEqual(summary.plain.refolded);
    expectSameCycle(await rollupCycle(END), await truth(END));

    // Outcomes for unlabeled live events of the matured windows, arriving late (within maturity of their events).
    const span = { from: chTime(END.getTime() - 26 * 3_600_000), to: chTime(END.getTime() - 2 * 3_600_000) };
    const unlabeled = await store.select<{ transaction_id: string; ms: number }>(
      `SELECT transaction_id, toUnixTimestamp64Milli(event_time) AS ms FROM payments.scoring_events
       WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
         AND transaction_id NOT IN (SELECT transaction_id FROM payments.outcomes)
       ORDER BY transaction_id LIMIT 200`,
      span,
    );
    expect(unlabeled.length).toBeGreaterThan(20);
    await land('outcomes', unlabeled.map((e) => outcomeRow(e.transaction_id, new Date(Number(e.ms) + 60_000), 1)));
    summary = await refreshBoth(END);
    expect(summary.dist.refolded.labels).toBeGreaterThan(0);
    expect(summary.dist.refolded.labels).toBe(summary.plain.refolded.labels);
    expectSameCycle(await rollupCycle(END), await truth(END));

    // Labels flipped hours after their events (a corrected outcome is the transaction's latest).
    const labeled = await store.select<{ transaction_id: string; approved: number; ms: number }>(
      `SELECT o.transaction_id AS transaction_id, argMax(o.approved, o.outcome_time) AS approved, toUnixTimestamp64Milli(any(e.event_time)) AS ms
       FROM payments.outcomes AS o INNER JOIN (SELECT transaction_id, event_time FROM payments.scoring_events
         WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}) AS e
       ON o.transaction_id = e.transaction_id
       GROUP BY transaction_id ORDER BY cityHash64(transaction_id) LIMIT 200`,
      span,
    );
    // Stamped before END, the earliest `at` of this file's later cycles: a correction stamped after a cycle's `at` leaves
    // the earlier outcome the label as of `at`, and a ReplacingMergeTree merge of the two parts keeps only the correction
    // (README, "Labels and maturity": with `at` in the past a merge may drop it). The shard table (a part per shard per
    // insert) and the plain table merge at different times, so such a label would differ between them by chance.
    await land('outcomes', labeled.map((o) => outcomeRow(o.transaction_id, new Date(Math.min(Number(o.ms) + 3 * 3_600_000, END.getTime() - 1)), 1 - Number(o.approved))));
    summary = await refreshBoth(END);
    expect(summary.dist.refolded.labels).toBeGreaterThan(0);
    expectSameCycle(await rollupCycle(END), await truth(END));

    // Nothing new: nothing folded, nothing re-folded.
    summary = await refreshBoth(END);
    expect(summary.dist.folded).toEqual({ events: 0, labels: 0, features: 0, orphans: 0, shadow: 0 });
    expect(summary.dist.refolded).toEqual({ events: 0, labels: 0, features: 0, orphans: 0, shadow: 0 });
  });

  it('five-minute cycles with late events and outcomes landing in kept strips equal the full recompute', async () => {
    for (let k = 0; k < 3; k++) {
      const at = new Date(END.getTime() + 10 * 60_000 + k * 5 * 60_000 + 1_234);
      const refFrom = at.getTime() - 8 * 86_400_000;
      if (k === 1) {
        // Events inside a whole strip of the reference's first edge hour, which the last cycle read and kept.
        await land('scoring_events', Array.from({ length: 200 }, (_, i) => eventRow({ time: new Date(refFrom + 10 * 60_000 + i * 900), id: `strip-late-${i}`, issuer: 'Northbank', region: 'NA', score: 0.03, version: 'v41' })));
      }
      if (k === 2) {
        // Corrected outcomes for events of the matured reference's first edge hour, whose label strips were kept.
        const matured = { from: chTime(refFrom - 2 * 3_600_000 + 5 * 60_000), to: chTime(refFrom - 2 * 3_600_000 + 40 * 60_000) };
        const labeled = await store.select<{ transaction_id: string; approved: number; last: number }>(
          `SELECT transaction_id, argMax(approved, outcome_time) AS approved, toUnixTimestamp64Milli(max(outcome_time)) AS last FROM payments.outcomes
           WHERE transaction_id IN (SELECT transaction_id FROM payments.scoring_events
             WHERE variant = 'live' AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')})
           GROUP BY transaction_id ORDER BY transaction_id LIMIT 100`,
          matured,
        );
        expect(labeled.length).toBeGreaterThan(10);
        await land('outcomes', labeled.map((o) => outcomeRow(o.transaction_id, new Date(Number(o.last) + 1), 1 - Number(o.approved))));
      }
      await refreshBoth(at);
      expectSameCycle(await rollupCycle(at), await truth(at));
    }
  });

  it('a new process knows no parts: its first refresh re-folds the label hours the outcomes touch (the cost of a start), then equals', async () => {
    const fresh = new RollupState();
    const summary = await refreshRollup(deny(), dist, END, { state: fresh });
    expect(summary.refolded.labels).toBeGreaterThan(20);
    expect(summary.refolded.events).toBe(0);
    expectSameCycle(await runCycle(deny(), dist, { at: END, source: rollupSource(deny(), dist, fresh) }), await truth(END));
  });

  it('refuses a Distributed table whose shard table has no parts to watch (a View), naming it', async () => {
    await store.command('CREATE VIEW IF NOT EXISTS shard.events_view AS SELECT * FROM shard.scoring_events');
    await store.command('CREATE TABLE IF NOT EXISTS dist.events_view AS payments.scoring_events ENGINE = Distributed(two_shards, shard, events_view)');
    const config: Config = { ...dist, tables: { ...dist.tables, events: 'dist.events_view' } };
    const error = await refreshRollup(deny(), config, END, { state: new RollupState() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/dist\.events_view is a Distributed table over shard\.events_view on cluster two_shards.*\(View\)/);
  });
});
