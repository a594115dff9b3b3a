// End to end: the daemon on the embedded store, alerts through the real Slack WebClient to a local Slack, metrics, restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { alertEngineHook, alertsHook, openDelivery, shadowHook, type HookSession } from '../../src/cli/hooks.js';
import { Daemon, type CycleHook } from '../../src/daemon.js';
import { silentLogger } from '../../src/log.js';
import type { ShadowVerdict, ShadowVerdictKind } from '../../src/core/types.js';
import { packageRoot, type QueryParams, type Store } from '../../src/store/index.js';
import { cycle } from '../alerts/fixtures.js';
import { seedOutage } from '../helpers/outage.js';
import { parseMetrics } from '../helpers/prom.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { alertingStore, freePort, until, writeDaemonConfig } from '../helpers/daemon.js';

const AT = new Date('2026-11-20T12:00:00Z');
const MINUTE = 60_000;
/** Messages about BANK B's outage (its segments share the issuer: one roll-up and its thread). */
const approvalPosts = (slack: FakeSlack) => slack.posts.filter((p) => JSON.stringify(p).includes('BANK B'));

describe('daemon → alert engine → Slack', () => {
  let slack: FakeSlack;
  let t: TempStore;
  beforeAll(async () => {
    slack = await FakeSlack.start();
    t = await alertingStore(slack.url);
  });
  afterAll(async () => {
    await t.cleanup();
    await slack.stop();
  });

  it('groups an outage in several regions into one message, updates its thread, and resolves it', async () => {
    const outage = await seedOutage(t.store, AT, 'BANK B', ['NA', 'EU', 'APAC']);
    let at = AT;
    const hook = await alertsHook({ store: t.store, config: t.config, logger: silentLogger }, { SLACK_BOT_TOKEN: 'xoxb-test-token' });
    const daemon = new Daemon({ config: t.config, store: t.store, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at }) });
    await daemon.start();
    try {
      expect((await daemon.tick())?.ok).toBe(true);
      // One roll-up for the issuer (its three regions shifted together): the headline, and its evidence in the thread.
      const first = approvalPosts(slack);
      expect(first.filter((p) => !p.threadTs)).toHaveLength(1);
      const parent = first.find((p) => !p.threadTs);
      for (const region of ['NA', 'EU', 'APAC']) expect(parent?.text + JSON.stringify(parent?.blocks)).toContain(region);
      expect(JSON.stringify(parent?.blocks)).toContain('Shared by at least');
      const evidence = first.filter((p) => p.threadTs === parent?.ts);
      expect(evidence).toHaveLength(1);
      for (const region of ['NA', 'EU', 'APAC']) expect(JSON.stringify(evidence[0]?.blocks)).toContain(region);
      expect(JSON.stringify(evidence[0]?.blocks)).toMatch(/Approval rate\* −\d/);
      expect(JSON.stringify(evidence[0]?.blocks)).toMatch(/\*ECE\* 0\.\d/);
      expect(slack.posts.some((p) => JSON.stringify(p).includes('BANK A'))).toBe(false);
      expect(slack.calls.every((c) => c.authorization === 'Bearer xoxb-test-token')).toBe(true);

      const families = parseMetrics(await (await fetch(`${daemon.url}/metrics`)).text());
      const firing = families.find((f) => f.name === 'driftwatch_alerts_firing')?.metrics.find((m) => m.labels?.monitor === 'approval_rate' && m.labels?.severity === 'critical');
      expect(Number(firing?.value)).toBe(3);
      const delta = families.find((f) => f.name === 'driftwatch_approval_rate_delta')?.metrics.filter((m) => m.labels?.issuer === 'BANK B') ?? [];
      expect(delta.length).toBeGreaterThanOrEqual(3);

      // A fourth region joins the incident: an update in the same thread, no new top-level message.
      await outage.addOutage('LATAM');
      at = new Date(AT.getTime() + 5 * MINUTE);
      await daemon.tick();
      const afterUpdate = approvalPosts(slack);
      expect(afterUpdate.filter((p) => !p.threadTs)).toHaveLength(1);
      const update = afterUpdate.find((p) => p.threadTs === parent?.ts && JSON.stringify(p).includes('LATAM'));
      expect(update).toBeDefined();

      // The incident ends: two clean cycles resolve it, and the resolution goes to the thread.
      await outage.endOutage();
      for (const minutes of [10, 15]) {
        at = new Date(AT.getTime() + minutes * MINUTE);
        await daemon.tick();
      }
      const resolution = approvalPosts(slack).filter((p) => p.threadTs === parent?.ts && /resolved/i.test(p.text));
      expect(resolution.length).toBeGreaterThanOrEqual(1);
      expect(approvalPosts(slack).filter((p) => !p.threadTs)).toHaveLength(1);
    } finally {
      await daemon.stop();
    }
  });
});

describe('daemon → shadow verdict changes → Slack', () => {
  let slack: FakeSlack;
  let t: TempStore;
  beforeAll(async () => {
    slack = await FakeSlack.start();
    t = await tempStore({ sinks: { slack: { apiUrl: slack.url, channel: '#ml' } } });
  });
  afterAll(async () => {
    await t.cleanup();
    await slack.stop();
  });

  const verdict = (kind: ShadowVerdictKind, model = 'card-auth'): ShadowVerdict => ({
    model, shadowVersion: 'v42', verdict: kind, reasons: [`${kind}: <!channel> issuer *Bank*`], agreement: 0.97,
    details: { deltaAuc: 0.012, aucShadow: 0.861, aucLive: 0.849, pValue: 0.003, latencyP99Shadow: 41, latencyP99Live: 38 },
  });
  /** The cycles of a daemon, five minutes apart: every hook sees each result, in order, as Daemon.cycle does. */
  async function runCycles(hooks: CycleHook[], kinds: ShadowVerdictKind[]): Promise<void> {
    for (const [i, kind] of kinds.entries()) {
      const result = { ...cycle(new Date(AT.getTime() + i * 5 * MINUTE), []), shadow: [verdict(kind)] };
      for (const hook of hooks) await hook.afterCycle(result, `cycle-${i}`);
    }
  }
  /** The daemon's wiring (buildHooks without the weekly report): alerts and verdicts over one delivery. */
  async function hooks(env: NodeJS.ProcessEnv, write?: (text: string) => void): Promise<CycleHook[]> {
    const session: HookSession = { store: t.store, config: t.config, logger: silentLogger };
    const delivery = await openDelivery(session, env, write ? { console: { write } } : {});
    return [await alertEngineHook(session, delivery), await shadowHook(session, delivery)];
  }
  const header = (blocks: unknown[]) => (blocks[0] as { text: { text: string } }).text.text;

  it('announces a new shadow and each change of its verdict once, nothing for an unchanged cycle; the console says the same without a token', async () => {
    await runCycles(await hooks({ SLACK_BOT_TOKEN: 'xoxb-verdicts' }), ['hold', 'promote', 'promote', 'reject']);
    expect(slack.posts.map((p) => header(p.blocks))).toEqual([
      '🟡 New shadow v42 of card-auth: hold',
      '🟢 Shadow v42 of card-auth: hold → promote',
      '🔴 Shadow v42 of card-auth: promote → reject',
    ]);
    // Its own thread, not an alert group's: the later changes reply under the first announcement.
    expect(slack.posts.map((p) => p.threadTs)).toEqual([undefined, slack.posts[0]?.ts, slack.posts[0]?.ts]);
    const raw = slack.calls.map((c) => c.raw).join('\n');
    expect(raw).toContain('&lt;!channel&gt; issuer ∗Bank∗');
    expect(raw).not.toContain('<!channel>');
    // A cycle retried at the same time announces nothing new: the outbox item is the same.
    await runCycles(await hooks({ SLACK_BOT_TOKEN: 'xoxb-verdicts' }), ['hold']);
    expect(slack.posts).toHaveLength(3);

    await t.store.command('TRUNCATE TABLE driftwatch.driftwatch_shadow_verdicts');
    const printed: string[] = [];
    await runCycles(await hooks({}, (text) => printed.push(text)), ['hold', 'promote', 'promote', 'reject']);
    expect(printed.map((text) => text.split('\n')[1])).toEqual(slack.posts.map((p) => header(p.blocks)));
    expect(printed[1]).toContain('AUC +0.012 (0.861 vs 0.849 live, p = 0.003) · latency p99 41 ms vs 38 ms live · agreement 97.0 %');
    expect(printed[1]).toContain('• promote: <!channel> issuer *Bank*');
  });

  it('loses no change and repeats none when the store fails around the verdicts', async () => {
    const fail = new Set<string>();
    const session: HookSession = { store: flakyStore(t.store, fail), config: t.config, logger: silentLogger };
    const hook = await shadowHook(session, await openDelivery(session, { SLACK_BOT_TOKEN: 'xoxb-verdicts' }));
    const before = slack.posts.length;
    const run = (i: number, kind: ShadowVerdictKind) => hook.afterCycle({ ...cycle(new Date(AT.getTime() + i * 5 * MINUTE), []), shadow: [verdict(kind, 'fraud-score')] }, `cycle-${i}`);
    // Announced, then the write fails: the next cycle writes it before comparing, and announces nothing again.
    fail.add('save shadow verdicts');
    await expect(run(0, 'hold')).rejects.toThrow(/store down/);
    await run(1, 'hold');
    // The comparison fails: nothing announced, and the change comes with the next cycle instead.
    fail.add('load shadow verdicts');
    await expect(run(2, 'reject')).rejects.toThrow(/store down/);
    await run(3, 'reject');
    expect(slack.posts.slice(before).map((p) => header(p.blocks))).toEqual(['🟡 New shadow v42 of fraud-score: hold', '🔴 Shadow v42 of fraud-score: hold → reject']);
  });
});

/** The store, except that the next query or insert of each name in `fail` fails once (names are the store's query labels). */
function flakyStore(store: Store, fail: Set<string>): Store {
  const down = (name: string | undefined) => (name !== undefined && fail.delete(name) ? Promise.reject(new Error(`${name}: store down`)) : undefined);
  return {
    kind: store.kind,
    location: store.location,
    client: store.client,
    select: <T>(sql: string, params?: QueryParams, name?: string) => down(name) ?? store.select<T>(sql, params, name),
    command: (sql: string, params?: QueryParams, name?: string) => down(name) ?? store.command(sql, params, name),
    insert: (table: string, rows: readonly object[], name?: string) => down(name) ?? store.insert(table, rows, name),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}


function startDaemon(configFile: string, slackToken: string): ChildProcess {
  return spawn(process.execPath, [join(packageRoot, 'bin', 'driftwatch.js'), 'daemon', '--config', configFile], {
    env: { ...process.env, SLACK_BOT_TOKEN: slackToken, DRIFTWATCH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}


async function cycles(url: string): Promise<number> {
  try {
    const families = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    const histogram = families.find((f) => f.name === 'driftwatch_cycle_duration_seconds');
    return Number(histogram?.metrics[0]?.count ?? 0);
  } catch {
    return 0;
  }
}

describe('the daemon process', () => {
  it('after SIGKILL while an alert fires, a restart sends nothing twice; SIGTERM stops it with exit 0', async () => {
    const slack = await FakeSlack.start();
    const t = await tempStore({ windows: { maturity: '1m' } });
    const now = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE);
    await seedOutage(t.store, now, 'BANK B', ['NA', 'EU']);
    await t.store.close(); // the child process opens the same data directory: one engine per directory
    const port = await freePort();
    const configFile = writeDaemonConfig(t.dir, t.config.store.path, port, slack.url);
    const url = `http://127.0.0.1:${port}`;
    let child = startDaemon(configFile, 'xoxb-e2e');
    try {
      await until(() => approvalPosts(slack).length > 0, 60_000, 'the first alert message');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const before = slack.parents.length;

      child = startDaemon(configFile, 'xoxb-e2e');
      await until(async () => (await cycles(url)) >= 3, 60_000, 'three cycles after the restart');
      expect(slack.parents.length).toBe(before);
      expect(approvalPosts(slack).filter((p) => !p.threadTs)).toHaveLength(1);

      const started = Date.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await slack.stop();
      await t.cleanup().catch(() => undefined);
    }
  });
});
