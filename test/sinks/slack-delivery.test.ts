import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AlertEngine, type AlertView, type Notification } from '../../src/alerts/index.js';
import type { Config } from '../../src/config/index.js';
import { ConsoleDelivery } from '../../src/sinks/console.js';
import { Outbox, ensureOutboxTable, type OutboxOptions, type Receiver } from '../../src/sinks/outbox.js';
import { SlackReceiver, openAlertDelivery } from '../../src/sinks/slack.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';
import { at, cycle, evaluation, withSeverity } from '../alerts/fixtures.js';

const TOKEN = 'xoxb-123-456-SuperSecretTokenValue';
const logs: string[] = [];
const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });

let t: TempStore;
let slack: FakeSlack;
let clock: number;

beforeAll(async () => {
  t = await tempStore();
  await ensureOutboxTable(t.store, t.config);
});
afterAll(() => t.cleanup());
beforeEach(async () => {
  await t.store.command('TRUNCATE TABLE IF EXISTS driftwatch.driftwatch_outbox');
  await t.store.command('TRUNCATE TABLE IF EXISTS driftwatch.driftwatch_alerts');
  slack = await FakeSlack.start();
  clock = Date.now();
});
afterEach(() => slack.stop());

function config(): Config {
  return {
    ...t.config,
    alerts: { ...t.config.alerts, for: 1, resolveAfter: 1, grafanaUrl: 'https://grafana.example' },
    sinks: { ...t.config.sinks, slack: { channel: '#payments-oncall', apiUrl: slack.url } },
  };
}

function receiver(): SlackReceiver {
  return new SlackReceiver(config(), { token: TOKEN, logger, retryConfig: { retries: 3, factor: 2, minTimeout: 10, maxTimeout: 50 }, timeoutMs: 500 });
}

function outbox(over: OutboxOptions = {}, to: Receiver = receiver()): Promise<Outbox> {
  return Outbox.open(t.store, config(), to, { logger, now: () => clock, baseDelayMs: 60_000, ...over });
}

function view(over: Partial<AlertView> = {}): AlertView {
  return {
    key: 'k', monitor: 'approval_rate', model: 'card-auth', segment: { issuer: 'Chase', region: 'EU' }, feature: 'delta', state: 'firing',
    severity: 'critical', value: -0.1, threshold: 0.08, nCurrent: 1200, nReference: 5600, since: at(0), firingSince: at(0), isNew: true, ...over,
  };
}

function note(kind: Notification['kind'], n = 0, over: Partial<Notification> = {}): Notification {
  return { groupKey: 'card-auth/approval_rate', model: 'card-auth', monitor: 'approval_rate', kind, alerts: [view()], resolved: [], warnings: [], episode: at(0), at: at(n), ...over };
}

describe('Slack delivery', () => {
  it("posts an incident's headline, its evidence in the thread, then updates and the resolution into the thread", async () => {
    const box = await outbox();
    const engine = await AlertEngine.open(t.store, config(), { queue: box });
    await engine.observe(cycle(at(0), [evaluation(), evaluation({ monitor: 'psi', feature: 'score', severity: 'ok', value: 0.01, threshold: 0.1 })]));
    expect(await box.flush()).toEqual({ delivered: 2, failed: 0, deferred: 0 });
    const calibration = evaluation({ monitor: 'calibration', feature: 'ece', value: 0.2, threshold: 0.06 });
    await engine.observe(cycle(at(1), [evaluation(), calibration]));
    await box.flush();
    await engine.observe(cycle(at(2), [withSeverity('ok'), { ...calibration, severity: 'ok', value: 0.01 }]));
    await box.flush();

    const [parent, evidence, update, resolution] = slack.posts;
    expect(slack.posts).toHaveLength(4);
    expect(slack.posts.filter((p) => p.threadTs === undefined)).toEqual([parent]);
    expect(slack.calls[0]?.body.channel).toBe('#payments-oncall');
    expect(slack.calls[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(parent?.text).toContain('Approval rate dropped');
    // The evidence is the thread's own detail: with the unmoved PSI, and not broadcast back to the channel.
    expect(evidence?.threadTs).toBe(parent?.ts);
    expect(evidence?.text).toContain('Evidence');
    expect(JSON.stringify(slack.calls[1]?.body)).toContain('Not moved');
    expect(slack.calls[1]?.body.reply_broadcast).toBe('false');
    // Calibration breaks too: the same thread, broadcast (it pages), and the parent now reads as an outage.
    expect(update?.threadTs).toBe(parent?.ts);
    expect(update?.text).toContain('1 new');
    expect(slack.calls[2]?.body.reply_broadcast).toBe('true');
    expect(resolution?.threadTs).toBe(parent?.ts);
    expect(resolution?.text).toContain('Resolved');
    expect(slack.updates.map((u) => u.ts)).toEqual([parent?.ts, parent?.ts]);
    expect(slack.updates[0]?.text).toContain('Issuer-side outage likely');
    expect(slack.updates[1]?.text).toContain('Resolved');
    const items = await box.items();
    expect(items.map((i) => [i.kind, i.state, i.attempts])).toEqual([['resolved', 'delivered', 1], ['update', 'delivered', 1], ['evidence', 'delivered', 1], ['firing', 'delivered', 1]]);
    expect(items[3]?.receipt).toEqual({ channel: 'C0DRIFTWATCH', ts: parent?.ts });
  });

  it('escapes and shortens hostile names in what reaches Slack', async () => {
    const segment = { issuer: '<!channel> *bold* <script>alert(1)</script>', region: 'A'.repeat(10_000) };
    const hostile = note('firing', 0, { model: "'; DROP TABLE x; --", alerts: [view({ segment, model: "'; DROP TABLE x; --", feature: '_it_ ~s~ `c`' })] });
    const box = await outbox();
    await box.send([hostile]);
    expect(slack.posts).toHaveLength(1);
    const raw = slack.calls[0]?.raw ?? '';
    for (const forbidden of ['<!channel>', '<script>', '*bold*', 'A'.repeat(100)]) expect(raw).not.toContain(forbidden);
    expect(raw).toContain('&lt;!channel&gt; ∗bold∗ &lt;script&gt;');
    expect(raw).toContain('A'.repeat(50));
    expect(raw).toContain("'; DROP TABLE x; --");
    expect(raw.length).toBeLessThan(10_000);
    expect(((await box.items())[0]?.notification as Notification).alerts[0]?.segment).toEqual(segment);
  });

  it('rides out 429 (Retry-After) then 500 with WebClient retries: exactly one message', async () => {
    slack.fail('429').fail('500');
    const box = await outbox();
    expect(await box.send([note('firing')])).toEqual({ delivered: 1, failed: 0, deferred: 0 });
    expect(slack.calls.map((c) => c.status)).toEqual([429, 500, 200]);
    expect(slack.posts).toHaveLength(1);
  });

  it('gives up on a hung request after its timeout and retries it once', async () => {
    slack.fail('hang');
    const box = await outbox();
    await box.send([note('firing')]);
    expect(slack.calls).toHaveLength(2);
    expect(slack.posts).toHaveLength(1);
  });

  it('keeps messages in the outbox while Slack is down and sends each exactly once, in thread order, when it is back', async () => {
    await slack.stop();
    const box = await outbox();
    expect(await box.send([note('firing', 0), note('update', 1)])).toEqual({ delivered: 0, failed: 1, deferred: 1 });
    const [update, firing] = await box.items();
    expect([firing?.state, firing?.attempts, update?.state, update?.attempts]).toEqual(['pending', 1, 'pending', 0]);
    expect(firing?.lastError).not.toBe('');

    await slack.restart();
    expect(await box.flush()).toEqual({ delivered: 0, failed: 0, deferred: 2 });
    clock += 61_000;
    expect(await box.flush()).toEqual({ delivered: 2, failed: 0, deferred: 0 });
    expect(await box.flush()).toEqual({ delivered: 0, failed: 0, deferred: 0 });
    expect(slack.posts.map((p) => p.threadTs)).toEqual([undefined, slack.posts[0]?.ts]);
  });

  it('stores one message for a notification enqueued twice', async () => {
    const box = await outbox();
    await box.enqueue([note('firing')]);
    await box.enqueue([note('firing')]);
    await box.flush();
    expect(await box.items()).toHaveLength(1);
    expect(slack.posts).toHaveLength(1);
  });

  it('lets two racing deliverers send every message once', async () => {
    const a = await outbox({ owner: 'a' });
    const b = await outbox({ owner: 'b' });
    const groups = ['m1', 'm2', 'm3', 'm4', 'm5'].map((model) => note('firing', 0, { groupKey: `${model}/psi`, model }));
    await a.enqueue(groups);
    const reports = await Promise.all([a.flush(), b.flush(), a.flush(), b.flush()]);
    expect(reports.reduce((sum, r) => sum + r.delivered, 0)).toBe(5);
    expect(slack.posts).toHaveLength(5);
    const ids = slack.posts.map((p) => (p.metadata as { event_payload: { outbox_id: string } }).event_payload.outbox_id);
    expect(new Set(ids).size).toBe(5);
  });

  it('takes over from a deliverer that died mid-send only after its lease, and never resends after delivery', async () => {
    const stuck: Receiver = { name: 'slack', deliver: () => new Promise(() => undefined) };
    const dead = await outbox({ owner: 'dead', leaseMs: 30_000 }, stuck);
    await dead.enqueue([note('firing')]);
    void dead.flush();
    await new Promise((done) => setTimeout(done, 300));
    const heir = await outbox({ owner: 'heir' });
    expect(await heir.flush()).toEqual({ delivered: 0, failed: 0, deferred: 1 });
    clock += 31_000;
    expect(await heir.flush()).toEqual({ delivered: 1, failed: 0, deferred: 0 });
    const restarted = await outbox({ owner: 'restarted' });
    clock += 3_600_000;
    expect(await restarted.flush()).toEqual({ delivered: 0, failed: 0, deferred: 0 });
    expect(slack.posts).toHaveLength(1);
  });

  it('starts no request after the delivery deadline', async () => {
    await expect(receiver().deliver(note('firing'), { id: 'x', deadline: Date.now() - 1 })).rejects.toThrow();
    expect(slack.calls).toHaveLength(0);
  });

  it('records Slack errors without ever writing the token to logs or the outbox', async () => {
    slack.fail({ error: 'invalid_auth' });
    const box = await outbox();
    expect(await box.send([note('firing')])).toMatchObject({ failed: 1 });
    const [item] = await box.items();
    expect(item?.lastError).toContain('invalid_auth');
    await slack.stop();
    clock += 120_000;
    await box.flush();
    const everything = JSON.stringify(await box.items()) + logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain('SuperSecret');
  });

  it('chooses Slack with SLACK_BOT_TOKEN and the console without it', async () => {
    const printed: string[] = [];
    const consoleDelivery = await openAlertDelivery(t.store, config(), { env: {}, console: { write: (s) => printed.push(s) } });
    expect(consoleDelivery).toBeInstanceOf(ConsoleDelivery);
    await consoleDelivery.send([note('firing')]);
    expect(printed[0]).toContain('Approval rate dropped');
    const slackDelivery = await openAlertDelivery(t.store, config(), { env: { SLACK_BOT_TOKEN: TOKEN }, logger, slack: { timeoutMs: 500 } });
    expect(slackDelivery.sink).toBe('slack');
    await slackDelivery.send([note('firing')]);
    expect(slack.posts).toHaveLength(1);
  });
});
