// End to end: the daemon on the embedded store, alerts through the real Slack WebClient to a local Slack, metrics, restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { alertsHook } from '../../src/cli/hooks.js';
import { Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/log.js';
import { packageRoot } from '../../src/store/index.js';
import { seedOutage } from '../helpers/outage.js';
import { parseMetrics } from '../helpers/prom.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-20T12:00:00Z');
const MINUTE = 60_000;
const approvalPosts = (slack: FakeSlack) => slack.posts.filter((p) => /approval/i.test(p.text));

describe('daemon → alert engine → Slack', () => {
  let slack: FakeSlack;
  let t: TempStore;
  beforeAll(async () => {
    slack = await FakeSlack.start();
    t = await tempStore({
      windows: { maturity: '1h' },
      minVolume: 100,
      schedule: '0 0 1 1 *',
      alerts: { resolveAfter: 2 },
      sinks: { prometheus: { port: 0 }, slack: { apiUrl: slack.url, channel: '#oncall' } },
    });
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
      const first = approvalPosts(slack);
      expect(first).toHaveLength(1);
      const parent = first[0];
      for (const region of ['NA', 'EU', 'APAC']) expect(parent?.text + JSON.stringify(parent?.blocks)).toContain(region);
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function startDaemon(configFile: string, slackToken: string): ChildProcess {
  return spawn(process.execPath, [join(packageRoot, 'bin', 'driftwatch.js'), 'daemon', '--config', configFile], {
    env: { ...process.env, SLACK_BOT_TOKEN: slackToken, DRIFTWATCH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
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
    const configFile = join(t.dir, 'driftwatch.yaml');
    writeFileSync(
      configFile,
      [
        `store: { path: ${JSON.stringify(t.config.store.path)} }`,
        'windows: { maturity: 1m }',
        'minVolume: 100',
        'schedule: "*/2 * * * * *"',
        `sinks: { prometheus: { port: ${port} }, slack: { apiUrl: ${JSON.stringify(slack.url)}, channel: "#oncall" } }`,
      ].join('\n'),
    );
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
