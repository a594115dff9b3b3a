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

/** Whether a daemon's /metrics carries any finding series (only the leader's should). */
async function findingSeries(port: number): Promise<number> {
  const families = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  return families.find((f) => f.name === 'driftwatch_finding_severity')?.metrics.length ?? 0;
}

const bankB = () => slack.parents.filter((p) => JSON.stringify(p).includes('BANK B'));

describe('two daemons on one server store', () => {
  it('one leads and sends, the other stands by; a stalled leader and a killed one hand over within the lease, and nothing is sent twice', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = startDaemon(daemonConfig('a', portA));
    let b: (ChildProcess & { log: () => string }) | undefined;
    try {
      await until(async () => (await state(portA))?.leader === 1, 30_000, 'daemon A to lead');
      b = startDaemon(daemonConfig('b', portB));
      await until(async () => (await state(portB)) !== undefined, 30_000, 'daemon B to serve /metrics');
      await until(() => bankB().length > 0, 60_000, 'the outage announced');
      await until(async () => ((await state(portA))?.cycles ?? 0) >= 2, 60_000, 'two cycles of the leader');

      // B stands by: no cycles, no finding series, ready (it can take over), leader 0.
      expect(await state(portB)).toEqual({ leader: 0, cycles: 0 });
      expect(await findingSeries(portB)).toBe(0);
      expect(await findingSeries(portA)).toBeGreaterThan(0);
      const ready = await fetch(`http://127.0.0.1:${portB}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.text()).toContain('standing by');
      expect(b.log()).toContain('standing by: another daemon holds the lease');
      expect(bankB()).toHaveLength(1);
      expect(new Set(outboxIds()).size).toBe(slack.posts.length);

      // A stalls (SIGSTOP) past its lease: B takes over. Resumed, A finds the lease gone and stands by, its last
      // cycle's findings off its /metrics; B, whose alert engine starts from the stored state, announces nothing again.
      a.kill('SIGSTOP');
      await until(async () => (await state(portB))?.leader === 1, 20_000, 'daemon B to take the lease from the stalled A');
      a.kill('SIGCONT');
      await until(async () => (await state(portA))?.leader === 0, 20_000, 'daemon A to stand by once resumed');
      expect(await findingSeries(portA)).toBe(0);
      await until(async () => ((await state(portB))?.cycles ?? 0) >= 2, 60_000, 'two cycles of B');
      expect(bankB()).toHaveLength(1);
      expect(a.log()).toContain('lost the lease to another daemon: standing by');

      // B sends what is new, in the same thread.
      await outage.addOutage('LATAM');
      const parent = bankB()[0];
      await until(() => slack.posts.some((p) => p.threadTs === parent?.ts && JSON.stringify(p).includes('LATAM')), 60_000, 'the new region in the thread, from B');

      // B dies without handing the lease back: A takes it once it runs out (3 s, looked at every 1 s).
      const killed = Date.now();
      b.kill('SIGKILL');
      await new Promise((r) => b?.once('exit', r));
      await until(async () => (await state(portA))?.leader === 1, 20_000, 'daemon A to take the lease back');
      expect(Date.now() - killed).toBeLessThan(3_000 + 1_000 + 2_000);
      const before = (await state(portA))?.cycles ?? 0;
      await until(async () => ((await state(portA))?.cycles ?? 0) >= before + 2, 30_000, 'A cycling again');
      expect(bankB()).toHaveLength(1);
      expect(new Set(outboxIds()).size).toBe(slack.posts.length);

      // A clean stop hands the lease back: its last row expires when it was written (release), not lease later.
      a.kill('SIGTERM');
      expect(await new Promise<number | null>((r) => a.once('exit', (c) => r(c)))).toBe(0);
      const [lease] = await store.select<{ released: number }>('SELECT argMax(expires, version) = argMax(renewed, version) AS released FROM driftwatch.driftwatch_leader');
      expect(Number(lease?.released)).toBe(1);
    } finally {
      if (a.exitCode === null) a.kill('SIGKILL');
      if (b && b.exitCode === null) b.kill('SIGKILL');
    }
  });
});
