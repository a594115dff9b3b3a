// Shadow verdict messages: what they say, how user data in them is escaped, and their way through the outbox to Slack.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verdictNotification, type VerdictNotification } from '../../src/alerts/index.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import type { VerdictChange } from '../../src/alerts/verdicts.js';
import { formatForConsole } from '../../src/sinks/console.js';
import { Outbox, ensureOutboxTable, outboxId, parseNotification, threadKey } from '../../src/sinks/outbox.js';
import { plainTextFor, slackMessageFor } from '../../src/sinks/slack/render.js';
import { SlackReceiver } from '../../src/sinks/slack.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-24T12:00:00Z');
const config = parseConfig({ alerts: { grafanaUrl: 'https://grafana.example/' } });

function change(over: Partial<VerdictChange> = {}, reasons = ['AUC significantly better: +0.012 (p=0.0030), calibration and latency within limits']): VerdictChange {
  return {
    model: 'card-auth',
    shadowVersion: 'v42',
    previous: 'hold',
    verdict: {
      model: 'card-auth', shadowVersion: 'v42', verdict: 'promote', reasons, agreement: 0.9712,
      details: { aucLive: 0.849, aucShadow: 0.861, deltaAuc: 0.012, pValue: 0.003, nLabeled: 12_345, latencyP99Live: 38, latencyP99Shadow: 41, expectedApprovalChangePp: 0.4, nMatched: 50_000, eceLive: Number.NaN },
    },
    at: AT,
    ...over,
  };
}

const note = (over: Partial<VerdictChange> = {}, reasons?: string[]) => verdictNotification(change(over, reasons));

describe('verdict message', () => {
  it('says which shadow, the verdict before and now, and the numbers behind it', () => {
    const { text, blocks } = slackMessageFor(note(), config);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🟢 Shadow v42 of card-auth: hold → promote', emoji: true } });
    const body = JSON.stringify(blocks);
    expect(body).toContain('*AUC* +0.012 (0.861 vs 0.849 live, p = 0.003, 12,345 matured outcomes) · *latency p99* 41 ms vs 38 ms live · *approvals* +0.4 pp · *agreement* 97.1 % of 50,000 transactions');
    expect(body).toContain('• AUC significantly better: +0.012 (p=0.0030)');
    expect(body).toContain('https://grafana.example/d/driftwatch-shadow/shadow-vs-live?var-model=card-auth&var-shadow_version=v42');
    expect(text).toBe('🟢 Shadow v42 of card-auth: hold → *promote* — *AUC* +0.012 (0.861 vs 0.849 live, p = 0.003, 12,345 matured outcomes) · *latency p99* 41 ms vs 38 ms live · *approvals* +0.4 pp · *agreement* 97.1 % of 50,000 transactions');
  });

  it('announces a shadow judged for the first time, and leaves out numbers it does not have', () => {
    const first = note({ previous: undefined, verdict: { model: 'card-auth', shadowVersion: 'v42', verdict: 'hold', reasons: ['too few matured outcomes'], details: { latencyP99Live: 38, latencyP99Shadow: 41 } } });
    expect(first.previous).toBeUndefined();
    expect(first.figures).toEqual({ latencyP99Live: 38, latencyP99Shadow: 41 });
    const text = plainTextFor(first, config);
    expect(text.split('\n').slice(0, 2)).toEqual(['🟡 New shadow v42 of card-auth: hold', 'latency p99 41 ms vs 38 ms live']);
    expect(text).not.toContain('AUC');
    expect(plainTextFor(note({ verdict: { ...change().verdict, verdict: 'reject' } }), config)).toMatch(/^🔴 Shadow v42 of card-auth: hold → reject/);
  });

  it('escapes reasons and names: nothing in them can ping, format, or break a line', () => {
    const hostile = note({ model: '<!here> *m*', shadowVersion: '`v` <@U1>' }, [
      '1 segment worse: <!channel> *Bank* _x_ ~y~/EU (AUC −0.020)\n<https://evil.example|click>',
      `issuer ${'A'.repeat(5_000)}`,
      ...Array.from({ length: 10 }, (_, i) => `context ${i}`),
    ]);
    const { text, blocks } = slackMessageFor(hostile, config);
    // The header is plain text, shown literally: only the angle brackets are swapped, so no `<!here>` is even sent.
    expect((blocks[0] as { text: { text: string } }).text.text).toBe('🟢 Shadow `v` ‹@U1› of ‹!here› *m*: hold → promote');
    const raw = text + JSON.stringify(blocks.slice(1));
    for (const forbidden of ['<!channel>', '<!here>', '<@U1>', '<https://', '*Bank*', '_x_', '~y~', '`v`', 'A'.repeat(500)]) expect(raw).not.toContain(forbidden);
    expect(raw).toContain('&lt;!channel&gt; ∗Bank∗ ˍxˍ ∼y∼/EU (AUC −0.020) &lt;https://evil.example|click&gt;');
    expect(text).toMatch(/^🟢 Shadow ˋvˋ &lt;@U1&gt; of &lt;!here&gt; ∗m∗: hold → \*promote\* — /);
    expect(raw).toContain('…and 4 more');
    expect(raw.length).toBeLessThan(6_000);
    const printed = formatForConsole(hostile, config);
    expect(printed).toContain('• 1 segment worse: <!channel> *Bank* _x_ ~y~/EU (AUC −0.020) <https://evil.example|click>');
    expect(printed).not.toContain('\n<https');
  });

  it('travels through the outbox as JSON unchanged, with a deterministic id and one thread per shadow', () => {
    const n = note();
    expect(parseNotification(JSON.stringify(n))).toEqual(n);
    expect(outboxId('slack', n)).toBe(outboxId('slack', note()));
    expect(outboxId('slack', n)).not.toBe(outboxId('slack', note({ at: new Date(AT.getTime() + 300_000) })));
    expect(threadKey(n)).toBe(threadKey(note({ at: new Date(AT.getTime() + 300_000), previous: 'promote' })));
    expect(threadKey(n)).not.toBe(threadKey(note({ shadowVersion: 'v43' })));
  });
});

describe('verdict messages through the outbox to Slack', () => {
  let t: TempStore;
  let slack: FakeSlack;
  beforeAll(async () => {
    t = await tempStore();
    await ensureOutboxTable(t.store, t.config);
  });
  afterAll(() => t.cleanup());
  beforeEach(async () => {
    await t.store.command('TRUNCATE TABLE IF EXISTS driftwatch.driftwatch_outbox');
    slack = await FakeSlack.start();
  });
  afterEach(() => slack.stop());

  const slackConfig = (): Config => ({ ...t.config, sinks: { ...t.config.sinks, slack: { channel: '#ml', apiUrl: slack.url } } });
  const outbox = () => Outbox.open(t.store, slackConfig(), new SlackReceiver(slackConfig(), { token: 'xoxb-verdicts', timeoutMs: 500 }));

  it('sends one message for a change enqueued twice (a retried cycle)', async () => {
    const box = await outbox();
    await box.enqueue([note()]);
    await box.enqueue([note()]);
    expect(await box.flush()).toEqual({ delivered: 1, failed: 0, deferred: 0 });
    expect(slack.posts).toHaveLength(1);
    const [item] = await box.items();
    expect(item?.kind).toBe('verdict');
    expect(item?.notification).toEqual(note());
    expect(slack.posts[0]?.metadata).toEqual({ event_type: 'driftwatch_shadow_verdict', event_payload: { outbox_id: item?.id, kind: 'verdict' } });
  });

  it('threads a later change of the same shadow under its first message, shown in the channel too, and leaves that message as it was', async () => {
    const box = await outbox();
    const first: VerdictNotification = note({ previous: undefined, verdict: { ...change().verdict, verdict: 'hold' } });
    await box.send([first, note({ at: new Date(AT.getTime() + 300_000) }), note({ shadowVersion: 'v43' })]);
    expect(slack.posts).toHaveLength(3);
    const [root, reply, other] = ['New shadow v42', 'Shadow v42 of card-auth: hold', 'Shadow v43'].map((what) => slack.posts.find((p) => p.text.includes(what)));
    expect(root?.threadTs).toBeUndefined();
    expect(reply?.threadTs).toBe(root?.ts);
    expect(slack.calls.find((c) => c.body.thread_ts)?.body.reply_broadcast).toBe('true');
    expect(other?.threadTs).toBeUndefined();
    expect(slack.updates).toEqual([]);
  });
});
