// Store faults through a real clickhouse-server and a TCP proxy: refused, timed out, reset, restarted, one query failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsHook } from '../../src/cli/hooks.js';
import { parseConfig } from '../../src/config/index.js';
import { Daemon, type CycleOutcome } from '../../src/daemon.js';
import { StoreQueryError, StoreUnreachableError } from '../../src/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { clickhouseServerCommand, startClickHouseServer, type ClickHouseServer } from '../helpers/clickhouse-server.js';
import { seedOutage, type OutageData } from '../helpers/outage.js';
import { parseMetrics } from '../helpers/prom.js';
import { FakeSlack } from '../helpers/slack-server.js';
import type { TempStore } from '../helpers/store.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { captureLog, WARN, type CapturedLog } from './log-capture.js';
import { remoteGate, type RemoteGate } from './remote-gate.js';
import { alertingStore } from '../helpers/daemon.js';

const installed = clickhouseServerCommand() !== undefined;
if (!installed) console.warn('clickhouse-server is not installed (Debian: apt-get install clickhouse-server): store fault tests SKIPPED');

const AT = new Date('2026-11-20T12:00:00Z');
const MINUTE = 60_000;
/** store.requestTimeout in these tests; the proxy's delay is well beyond it. */
const TIMEOUT = '1s';

let server: ClickHouseServer;
let proxy: TcpProxy;
let remote: Store;

async function expectError<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

beforeAll(async () => {
  if (!installed) return;
  server = await startClickHouseServer();
  proxy = await TcpProxy.start(server.httpPort);
  remote = openStore(parseConfig({ store: { url: proxy.url, requestTimeout: TIMEOUT, retries: 1 } }));
});
afterAll(async () => {
  await remote?.close();
  await proxy?.close();
  await server?.cleanup();
});

describe.skipIf(!installed)('a remote ClickHouse through a faulty network (real client, real server)', () => {

  it('answers through the proxy', async () => {
    await proxy.set('pass');
    expect(await remote.ping()).toBe(true);
    expect(await remote.select<{ x: number }>('SELECT 1 AS x')).toEqual([{ x: 1 }]);
  });

  it('refused: StoreUnreachableError (exit 3) naming the URL and ECONNREFUSED, after a bounded retry', async () => {
    await proxy.set('refuse');
    const started = Date.now();
    const error = await expectError(remote.select('SELECT 1'), StoreUnreachableError);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`ClickHouse at ${proxy.url}/ is unreachable (ECONNREFUSED)`);
    expect(error.message).not.toContain('\n');
    expect(await remote.ping()).toBe(false);
  });

  it('timeout: a server slower than store.requestTimeout is unreachable, within the retries and timeouts', async () => {
    await proxy.set('pass', 5_000);
    const started = Date.now();
    const error = await expectError(remote.select('SELECT 1'), StoreUnreachableError);
    // 2 attempts × 1 s + 0.2 s backoff, well before the proxy would have answered.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error.message).toMatch(/unreachable \(.*timeout/i);
    await proxy.set('hang');
    await expectError(remote.select('SELECT 1'), StoreUnreachableError);
  });

  it('reset: a connection cut mid-request is unreachable; reads are retried, writes are not repeated', async () => {
    await proxy.set('reset');
    let before = proxy.accepted;
    const error = await expectError(remote.select('SELECT 1'), StoreUnreachableError);
    expect(error.message).toMatch(/ECONNRESET|socket hang up/);
    // A read is tried again (store.retries = 1): two connections.
    expect(proxy.accepted - before).toBe(2);
    // A write that may have reached the server is not sent again: exactly one connection was tried.
    before = proxy.accepted;
    await expectError(remote.command('CREATE TABLE IF NOT EXISTS t_reset (a String) ENGINE = Memory'), StoreUnreachableError);
    expect(proxy.accepted - before).toBe(1);
    await proxy.set('pass');
    await remote.command('CREATE TABLE IF NOT EXISTS t_reset (a String) ENGINE = Memory');
    await remote.insert('t_reset', [{ a: 'x' }]);
    expect(await remote.select('SELECT a FROM t_reset')).toEqual([{ a: 'x' }]);
  });

  it('restart: unreachable while down, answers again (keep-alive sockets included) once back', async () => {
    await proxy.set('pass');
    expect(await remote.ping()).toBe(true);
    await server.stop();
    await expectError(remote.select('SELECT 1'), StoreUnreachableError);
    expect(await remote.ping()).toBe(false);
    await server.start();
    expect(await remote.select<{ x: number }>('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    // Writes too: the client must not reuse a socket the old server process closed.
    await remote.command('CREATE TABLE IF NOT EXISTS t_restart (a String) ENGINE = Memory');
  });

  it('a query the server rejects is a StoreQueryError naming the query, one line, not "unreachable"', async () => {
    await proxy.set('pass');
    const error = await expectError(remote.select('SELECT throwIf(1)', {}, 'labels'), StoreQueryError);
    expect(error.message).toMatch(/^query labels failed: Code: 395/);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toMatch(/unreachable/);
    expect(await remote.ping()).toBe(true);
  });
});

describe.skipIf(!installed)('the daemon with a remote store that fails (cycles, alerts, /readyz, logs)', () => {
  let t: TempStore;
  let slack: FakeSlack;
  let gate: RemoteGate;
  let outage: OutageData;
  let log: CapturedLog;
  let daemon: Daemon;
  let at = AT;

  beforeAll(async () => {
    slack = await FakeSlack.start();
    t = await alertingStore(slack.url);
    outage = await seedOutage(t.store, AT, 'BANK B', ['NA', 'EU']);
    const remoteStore = openStore(parseConfig({ store: { url: proxy.url, requestTimeout: TIMEOUT, retries: 1 } }));
    gate = remoteGate(remoteStore, t.store);
    log = captureLog();
    const hook = await alertsHook({ store: gate, config: t.config, logger: log.logger }, { SLACK_BOT_TOKEN: 'xoxb-store-faults' });
    daemon = new Daemon({ config: t.config, store: gate, logger: log.logger, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at }) });
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gate?.close();
    await t?.cleanup();
    await slack?.stop();
  });

  const failures = async () => {
    const families = parseMetrics(await (await fetch(`${daemon.url}/metrics`)).text());
    return Number(families.find((f) => f.name === 'driftwatch_cycle_failures_total')?.metrics[0]?.value);
  };
  const readyz = async () => (await fetch(`${daemon.url}/readyz`)).status;

  /** Alerts of the outage as the table holds them (latest version of each). */
  const alertRows = () =>
    t.store.select<{ key: string; state: string; resolved_at: string | null }>(
      `SELECT key, state, resolved_at FROM driftwatch.driftwatch_alerts FINAL WHERE segment['issuer'] = 'BANK B' ORDER BY key`,
    );

  /** One tick at `minutes` after AT; returns its outcome and what it logged at warning or above. */
  async function tickAt(minutes: number): Promise<{ outcome: CycleOutcome | undefined; loud: ReturnType<CapturedLog['since']> }> {
    at = new Date(AT.getTime() + minutes * MINUTE);
    const mark = log.lines.length;
    const outcome = await daemon.tick();
    return { outcome, loud: log.since(mark).filter((l) => l.level >= WARN) };
  }

  /** A failed cycle: one clear error line (no stack), the failure counted, /readyz unready, /healthz fine. */
  async function expectFailedTick(minutes: number, reason: RegExp, failuresBefore: number): Promise<void> {
    const { outcome, loud } = await tickAt(minutes);
    expect(outcome?.ok).toBe(false);
    expect(loud).toHaveLength(1);
    expect(loud[0]?.msg).toBe('cycle failed; nothing resolved, next tick retries');
    expect(String(loud[0]?.err)).toMatch(reason);
    expect(String(loud[0]?.err)).not.toContain('\n');
    expect(await failures()).toBe(failuresBefore + 1);
    expect(await readyz()).toBe(503);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
  }

  it('a firing alert survives refused, timed-out, restarted and failing-query cycles, and resolves only after clean ones', async () => {
    await proxy.set('pass');
    const first = await tickAt(0);
    expect(first.outcome?.ok).toBe(true);
    expect(await readyz()).toBe(200);
    expect(await failures()).toBe(0);
    const firing = await alertRows();
    expect(firing.length).toBeGreaterThanOrEqual(2);
    expect(firing.every((a) => a.state === 'firing')).toBe(true);
    // One incident: the outage breaks approval rate and calibration of one segment, one message.
    const groups = slack.parents.map((p) => p.text.replace(/ — .*/s, ''));
    expect(groups).toEqual(['🔴 Issuer-side outage likely']);

    // The incident is over in the data, but the daemon cannot read it.
    await outage.endOutage();

    await proxy.set('refuse');
    await expectFailedTick(5, /unreachable \(ECONNREFUSED\)/, 0);

    await proxy.set('pass', 5_000);
    await expectFailedTick(10, /unreachable \(.*timeout/i, 1);

    // The server stops in the middle of a cycle (after the first monitors ran) and comes back after it.
    await proxy.set('pass');
    gate.before = { query: 'labels', run: () => server.stop() };
    await expectFailedTick(15, /unreachable \((ECONNRESET|socket hang up|ECONNREFUSED)/, 2);
    expect(gate.sent).toContain('psi_score');
    await server.start();

    // The server answers, but one query fails.
    gate.failing = 'labels';
    await expectFailedTick(20, /query labels failed: Code: 395/, 3);
    gate.failing = undefined;

    // Four failed cycles resolved nothing and sent nothing.
    expect(await alertRows()).toEqual(firing);
    expect(slack.posts).toHaveLength(2);

    // Recovery: the first clean cycle is one of resolveAfter = 2; the second resolves, posting once.
    const clean1 = await tickAt(25);
    expect(clean1.outcome?.ok).toBe(true);
    expect(clean1.loud).toEqual([]);
    expect(await readyz()).toBe(200);
    expect(await alertRows()).toEqual(firing);
    expect(slack.posts).toHaveLength(2); // the headline and its evidence
    expect((await tickAt(30)).outcome?.ok).toBe(true);
    expect((await alertRows()).map((a) => a.state)).toEqual(firing.map(() => 'resolved'));
    // Exactly one resolution in the incident's thread (after its evidence), and no new top-level message.
    expect(slack.parents).toHaveLength(1);
    expect(slack.posts.filter((p) => p.threadTs === slack.parents[0]?.ts).map((p) => /resolved/i.test(p.text))).toEqual([false, true]);
    expect(slack.posts).toHaveLength(3);
    expect(await failures()).toBe(4);
  });
});
