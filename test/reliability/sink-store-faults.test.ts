// Slack (429, 500, timeouts) or SMTP failing while the store fails too, in one daemon run: every message arrives exactly once.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsHook } from '../../src/cli/hooks.js';
import { parseConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon.js';
import { reportHook } from '../../src/report/index.js';
import { openStore } from '../../src/store/index.js';
import { seedOutage, type OutageData } from '../helpers/outage.js';
import { FakeSlack } from '../helpers/slack-server.js';
import type { TempStore } from '../helpers/store.js';
import { testSmtp } from '../report/helpers.js';
import { expectExactlyOnce, groupOf, outboxRows } from './exactly-once.js';
import { captureLog, type CapturedLog } from './log-capture.js';
import { remoteGate, type RemoteGate } from './remote-gate.js';
import { alertingStore } from '../helpers/daemon.js';

const AT = new Date('2026-11-20T12:00:00Z');
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Quick retries, so a test can wait them out: the same code paths as production, shorter clocks. */
const FAST_DELIVERY = {
  slack: { retryConfig: { retries: 2, factor: 2, minTimeout: 50, maxTimeout: 100, randomize: false }, timeoutMs: 500 },
  outbox: { baseDelayMs: 100, maxDelayMs: 300 },
};

async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return `http://127.0.0.1:${port}`;
}

let t: TempStore;
let slack: FakeSlack;
let gate: RemoteGate;
let down = false;
let log: CapturedLog;

beforeAll(async () => {
  slack = await FakeSlack.start();
  t = await alertingStore(slack.url);
  // Nothing listens at this address: when `down`, every request of the daemon first fails there, through the real client.
  const dead = openStore(parseConfig({ store: { url: await refusedUrl(), retries: 0 } }));
  gate = remoteGate(dead, t.store);
  gate.reaches = (name) => down || gate.failing === name;
  log = captureLog();
});
afterAll(async () => {
  await gate?.close();
  await t?.cleanup();
  await slack?.stop();
});

describe('Slack and the store failing in one daemon run', () => {
  let outage: OutageData;
  let daemon: Daemon;
  let at = AT;
  const tick = async (minutes: number) => {
    at = new Date(AT.getTime() + minutes * MINUTE);
    return daemon.tick();
  };

  beforeAll(async () => {
    outage = await seedOutage(t.store, AT, 'BANK B', ['NA', 'EU']);
    const hook = await alertsHook({ store: gate, config: t.config, logger: log.logger }, { SLACK_BOT_TOKEN: 'xoxb-sink-faults' }, FAST_DELIVERY);
    daemon = new Daemon({ config: t.config, store: gate, logger: log.logger, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at }) });
    await daemon.start();
  });
  afterAll(() => daemon?.stop());

  it('queues through 429s, 500s, timeouts and failed cycles, then delivers each message once, in its thread', async () => {
    // The outage fires while Slack rate-limits, then errors on every retry: the messages stay queued.
    slack.fail('429').fail('500', 8);
    expect((await tick(0))?.ok).toBe(true);
    expect(slack.posts).toEqual([]);
    const queued = await outboxRows(t.store);
    // One incident: BANK B's two regions shifted together (a roll-up), its headline and evidence queued.
    expect(queued.map((r) => r.kind)).toEqual(['firing', 'evidence']);
    expect(queued.every((r) => r.state === 'pending')).toBe(true);

    // The store goes down: the cycle fails, and nothing is resolved, sent or queued.
    down = true;
    await sleep(150);
    expect((await tick(5))?.ok).toBe(false);
    expect(await outboxRows(t.store)).toEqual(queued);

    // Store back, the outage spreads to LATAM, Slack's first answer never comes (timeout): all goes out once.
    down = false;
    await outage.addOutage('LATAM');
    slack.fail('hang');
    expect((await tick(10))?.ok).toBe(true);
    const afterSpread = await outboxRows(t.store);
    expect(afterSpread.filter((r) => r.kind === 'update')).toHaveLength(1);
    await sleep(350);
    // The store fails again while Slack is failing: the 500s wait for the next calls.
    down = true;
    slack.fail('500', 3);
    expect((await tick(15))?.ok).toBe(false);
    down = false;

    // The incident ends: the first clean cycle retries what is left; the second resolves.
    await outage.endOutage();
    expect((await tick(20))?.ok).toBe(true);
    await sleep(350);
    expect((await tick(25))?.ok).toBe(true);
    for (let i = 0; i < 5 && (await outboxRows(t.store)).some((r) => r.state !== 'delivered'); i++) {
      await sleep(350);
      await daemon.tick();
    }

    const rows = await expectExactlyOnce(t.store, slack);
    expect(rows.map((r) => r.kind).sort()).toEqual(['evidence', 'firing', 'resolved', 'update']);
    // One parent, then its evidence, its update and its resolution in that parent's thread, in order.
    expect(slack.parents.map(groupOf)).toEqual(['Issuer-side outage likely']);
    const thread = slack.posts.filter((p) => p.threadTs === slack.parents[0]?.ts);
    expect(thread.map((p) => groupOf(p))).toEqual(['Evidence: Issuer-side outage likely', 'Issuer-side outage likely', 'Issuer-side outage likely']);
    expect(JSON.stringify(thread[1]?.blocks)).toContain('LATAM');
    expect(thread[2]?.text).toMatch(/resolved/i);
    // The faults were really hit.
    expect(slack.calls.filter((c) => c.status === 429)).toHaveLength(1);
    expect(slack.calls.filter((c) => c.status === 500)).toHaveLength(11);
    expect(slack.calls.filter((c) => c.status === 0)).toHaveLength(1);
  });
});

describe('the store failing while the alert engine saves its state', () => {
  const AT2 = new Date(AT.getTime() + 30 * 24 * 60 * MINUTE);
  let daemon: Daemon;
  let at = AT2;

  beforeAll(async () => {
    await seedOutage(t.store, AT2, 'BANK Z', ['NA']);
    const hook = await alertsHook({ store: gate, config: t.config, logger: log.logger }, { SLACK_BOT_TOKEN: 'xoxb-sink-faults' }, FAST_DELIVERY);
    daemon = new Daemon({ config: t.config, store: gate, logger: log.logger, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at }) });
    await daemon.start();
  });
  afterAll(() => daemon?.stop());

  it('announces the alert once: the queued message goes out, and the next cycle does not announce it again', async () => {
    const before = slack.posts.length;
    gate.failing = 'save alerts';
    const mark = log.lines.length;
    expect((await daemon.tick())?.ok).toBe(true);
    gate.failing = undefined;
    expect(log.since(mark).some((l) => l.msg === 'alerts failed after the cycle; will retry')).toBe(true);
    for (const minutes of [5, 10]) {
      at = new Date(AT2.getTime() + minutes * MINUTE);
      expect((await daemon.tick())?.ok).toBe(true);
    }
    const posts = slack.posts.slice(before);
    expect(posts.filter((p) => !p.threadTs).map(groupOf)).toEqual(['Issuer-side outage likely']);
    expect(posts.filter((p) => p.threadTs).map(groupOf)).toEqual(['Evidence: Issuer-side outage likely']);
    await expectExactlyOnce(t.store, slack);
    const [state] = await t.store.select<{ firing: number }>(`SELECT countIf(state = 'firing') AS firing FROM driftwatch.driftwatch_alerts FINAL WHERE segment['issuer'] = 'BANK Z'`);
    expect(state?.firing).toBeGreaterThanOrEqual(2);
  });
});

describe('SMTP refusing and the store failing around the weekly report', () => {
  it('the report is kept, failed cycles do not retry it, and it goes out exactly once when SMTP is back', async () => {
    const smtp = await testSmtp(); // not started yet: the port refuses
    // The report's clock reads a day after the data (and runs on in real time, so retry delays come due).
    const offset = AT.getTime() + 24 * 60 * MINUTE - Date.now();
    const hook = reportHook(
      { config: t.config, store: gate, logger: log.logger },
      { env: { SMTP_URL: smtp.url }, backfill: false, baseDelayMs: 100, maxDelayMs: 200, now: () => Date.now() + offset },
    );
    let at = new Date(AT.getTime() + 24 * 60 * MINUTE);
    const daemon = new Daemon({ config: t.config, store: gate, logger: log.logger, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at }) });
    await daemon.start();
    const reports = () => t.store.select<{ state: string; attempts: number }>(`SELECT state, attempts FROM driftwatch.driftwatch_reports FINAL`);
    try {
      await hook.schedule?.run();
      expect(await reports()).toMatchObject([{ state: 'pending', attempts: 1 }]);

      // The store goes down: the cycle fails, and its hooks (the report's retry among them) do not run.
      down = true;
      await sleep(250);
      expect((await daemon.tick())?.ok).toBe(false);
      expect(await reports()).toMatchObject([{ state: 'pending', attempts: 1 }]);

      // Both back: the next cycle sends the kept report; later cycles and the schedule do not send it again.
      down = false;
      await smtp.start();
      for (const minutes of [5, 10]) {
        at = new Date(at.getTime() + minutes * MINUTE);
        expect((await daemon.tick())?.ok).toBe(true);
      }
      await hook.schedule?.run();
      expect(await reports()).toMatchObject([{ state: 'sent', attempts: 2 }]);
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.envelopes[0]?.to).toEqual(t.config.sinks.email.to);
    } finally {
      await daemon.stop();
      await smtp.stop();
    }
  });
});
