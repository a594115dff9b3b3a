// Two daemon processes on one server store (ClickHouse's HTTP interface, served by the embedded engine:
// test/helpers/clickhouse-http.ts): one leads and sends, the other stands by; killing the leader hands over, and no
// Slack message is ever sent twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { ensureSchema, openStore, packageRoot, type Store } from '../../src/store/index.js';
import { startClickHouseHttp, type ClickHouseHttp } from '../helpers/clickhouse-http.js';
import { freePort, until } from '../helpers/daemon.js';
import { seedOutage, type OutageData } from '../helpers/outage.js';
import { parseMetrics } from '../helpers/prom.js';
import { FakeSlack } from '../helpers/slack-server.js';

const MINUTE = 60_000;
let dir: string;
let server: ClickHouseHttp;
let slack: FakeSlack;
let store: Store;
let outage: OutageData;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'driftwatch-two-daemons-'));
  server = await startClickHouseHttp({ path: join(dir, 'engine') });
  slack = await FakeSlack.start();
  const config = parseConfig({ store: { url: server.url } });
  store = openStore(config);
  await ensureSchema(store, config);
  outage = await seedOutage(store, new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE), 'BANK B', ['NA', 'EU']);
});

afterAll(async () => {
  await store?.close();
  await slack?.stop();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function daemonConfig(name: string, port: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `store: { url: ${JSON.stringify(server.url)} }`,
      'daemon: { lease: 3s }',
      'windows: { current: [1h, 24h], maturity: 1m }',
      'minVolume: 100',
      'schedule: "*/2 * * * * *"',
      `sinks: { prometheus: { port: ${port} }, slack: { apiUrl: ${JSON.stringify(slack.url)}, channel: "#oncall" } }`,
    ].join('\n'),
  );
  return file;
}

function startDaemon(configFile: string): ChildProcess & { log: () => string } {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'driftwatch.js'), 'daemon', '--config', configFile], {
    env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-two', DRIFTWATCH_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  return Object.assign(child, { log: () => log });
}

/** A daemon's leader gauge and cycle count from its /metrics (undefined while it does not answer). */
async function state(port: number): Promise<{ leader: number; cycles: number } | undefined> {
  try {
    const families = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    const leader = Number(families.find((f) => f.name === 'driftwatch_leader')?.metrics[0]?.value);
    const cycles = Number(families.find((f) => f.name === 'driftwatch_cycle_duration_seconds')?.metrics[0]?.count ?? 0);
    return { leader, cycles };
  } catch {
    return undefined;
  }
}

/** Every message Slack accepted, by the outbox id driftwatch puts in its metadata: none may appear twice. */
function outboxIds(): string[] {
  return slack.posts.map((p) => String((p.metadata as { event_payload?: { outbox_id?: string } } | undefined)?.event_payload?.outbox_id));
}

describe('two daemons on one server store', () => {
  it('one leads and sends, the other stands by; SIGKILL of the leader hands over within the lease, and nothing is sent twice', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = startDaemon(daemonConfig('a', portA));
    let b: (ChildProcess & { log: () => string }) | undefined;
    try {
      await until(async () => (await state(portA))?.leader === 1, 30_000, 'daemon A to lead');
      b = startDaemon(daemonConfig('b', portB));
      await until(async () => (await state(portB)) !== undefined, 30_000, 'daemon B to serve /metrics');
      await until(() => slack.posts.some((p) => JSON.stringify(p).includes('BANK B')), 60_000, 'the outage announced');
      await until(async () => ((await state(portA))?.cycles ?? 0) >= 4, 60_000, 'four cycles of the leader');

      // B stands by: no cycles, ready (it can take over), leader 0.
      expect(await state(portB)).toEqual({ leader: 0, cycles: 0 });
      const ready = await fetch(`http://127.0.0.1:${portB}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.text()).toContain('standing by');
      expect(b.log()).toContain('standing by: another daemon holds the lease');
      const parents = slack.parents.filter((p) => JSON.stringify(p).includes('BANK B'));
      expect(parents).toHaveLength(1);
      expect(new Set(outboxIds()).size).toBe(slack.posts.length);
      const before = slack.posts.length;

      // The leader dies without handing the lease back: B takes it once it runs out (3 s, renewed every 1 s).
      const killed = Date.now();
      a.kill('SIGKILL');
      await new Promise((r) => a.once('exit', r));
      await until(async () => (await state(portB))?.leader === 1, 20_000, 'daemon B to take the lease');
      const handover = Date.now() - killed;
      expect(handover).toBeLessThan(3_000 + 1_000 + 2_000);
      expect(b.log()).toContain('leading: this daemon holds the lease');

      // B sends what is new, in the same thread, and nothing A already sent.
      await outage.addOutage('LATAM');
      const parent = parents[0];
      await until(() => slack.posts.some((p) => p.threadTs === parent?.ts && JSON.stringify(p).includes('LATAM')), 60_000, 'the new region in the thread, from B');
      await until(async () => ((await state(portB))?.cycles ?? 0) >= 3, 30_000, 'three cycles of B');
      expect(slack.posts.length).toBeGreaterThan(before);
      expect(new Set(outboxIds()).size).toBe(slack.posts.length);
      expect(slack.parents.filter((p) => JSON.stringify(p).includes('BANK B'))).toHaveLength(1);

      // A clean stop hands the lease back (released, not left to run out).
      b.kill('SIGTERM');
      expect(await new Promise<number | null>((r) => b?.once('exit', (c) => r(c)))).toBe(0);
      const [lease] = await store.select<{ holder: string; expired: number }>(
        'SELECT argMax(holder, version) AS holder, argMax(expires, version) <= now64(3) AS expired FROM driftwatch.driftwatch_leader',
      );
      expect(Number(lease?.expired)).toBe(1);
    } finally {
      if (a.exitCode === null) a.kill('SIGKILL');
      if (b && b.exitCode === null) b.kill('SIGKILL');
    }
  });
});
