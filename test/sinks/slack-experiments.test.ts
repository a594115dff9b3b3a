// Experiment verdict messages: what they say, and their way through the decision log and the outbox to Slack, once each.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DecisionTracker, EXPERIMENT_DECISIONS, experimentVerdictsDdl } from '../../src/alerts/index.js';
import { experimentNotification } from '../../src/alerts/experiments.js';
import type { Config } from '../../src/config/index.js';
import { parseConfig } from '../../src/config/index.js';
import type { ExperimentVerdict, ExperimentVerdictKind } from '../../src/core/types.js';
import { Outbox, ensureOutboxTable, outboxId, parseNotification, threadKey } from '../../src/sinks/outbox.js';
import { plainTextFor, slackMessageFor } from '../../src/sinks/slack/render.js';
import { SlackReceiver } from '../../src/sinks/slack.js';
import { FakeSlack } from '../helpers/slack-server.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const AT = new Date('2026-11-24T12:00:00Z');
const MIN5 = 300_000;
const config = parseConfig({ alerts: { grafanaUrl: 'https://grafana.example/' } });

function verdict(kind: ExperimentVerdictKind = 'ship', over: Partial<ExperimentVerdict> = {}): ExperimentVerdict {
  return {
    model: 'card-auth',
    control: 'v41',
    treatment: 'v44',
    verdict: kind,
    reasons: [`approvals higher under v44: approval lift +4.1 pp [+2.9 pp, +5.3 pp]`],
    approvalLift: 0.041,
    lo: 0.029,
    hi: 0.053,
    srmPValue: 0.42,
    since: '2026-11-23T10:00:00.000Z',
    until: '2026-11-24T11:58:00.000Z',
    pValue: 1e-9,
    controlArm: { version: 'v41', events: 18_200, labeled: 18_100, approved: 14_833, approvalRate: 0.8195, decisionMix: { approve: 0.8, decline: 0.15, review: 0.05, other: 0 } },
    treatmentArm: { version: 'v44', events: 18_050, labeled: 18_000, approved: 15_489, approvalRate: 0.8605, auc: Number.NaN, decisionMix: { approve: 0.84, decline: 0.12, review: 0.04, other: 0 } },
    guardrails: [],
    ...over,
  };
}

const note = (kind: ExperimentVerdictKind = 'ship', previous?: ExperimentVerdictKind, at = AT) => experimentNotification({ verdict: verdict(kind), at, ...(previous ? { previous } : {}) });

describe('experiment message', () => {
  it('names the arms, the verdict before and now, the lift with its interval and the allocation test', () => {
    const { text, blocks } = slackMessageFor(note('ship', 'continue'), config);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🟢 Experiment v44 against v41 of card-auth: continue → ship', emoji: true } });
    expect(text).toBe('🟢 Experiment v44 against v41 of card-auth: continue → *ship* — *approvals* +4.1 pp [+2.9 pp, +5.3 pp] (86.1 % vs 82.0 % on 18,000 and 18,100 matured outcomes) · *allocation* p = 0.42');
    const body = JSON.stringify(blocks);
    expect(body).toContain('• approvals higher under v44');
    expect(body).toContain('https://grafana.example/d/driftwatch-shadow/shadow-vs-live?var-model=card-auth');
  });

  it('announces a new experiment, and says so when no outcome has matured yet', () => {
    const text = plainTextFor(experimentNotification({ verdict: verdict('continue', { approvalLift: Number.NaN, lo: Number.NaN, hi: Number.NaN, srmPValue: null }), at: AT }), config);
    expect(text.split('\n').slice(0, 2)).toEqual(['🟡 New experiment: v44 against v41 of card-auth: continue', 'no matured outcomes yet']);
    expect(plainTextFor(note('rollback', 'continue'), config)).toMatch(/^🔴 Experiment v44 against v41 of card-auth: continue → rollback/);
  });

  it('travels through the outbox as JSON unchanged, one thread per experiment, never a shadow thread', () => {
    const n = note();
    expect(parseNotification(JSON.stringify(n))).toEqual(n);
    expect(outboxId('slack', n)).toBe(outboxId('slack', note()));
    expect(threadKey(n)).toBe(threadKey(note('rollback', 'ship', new Date(AT.getTime() + MIN5))));
    expect(threadKey(n)).not.toBe(JSON.stringify(['card-auth', 'v44']));
  });
});

describe('experiment verdicts through the decision log and the outbox to Slack', () => {
  let t: TempStore;
  let slack: FakeSlack;
  beforeAll(async () => {
    t = await tempStore();
    await ensureOutboxTable(t.store, t.config);
    await t.store.command(experimentVerdictsDdl(t.config));
  });
  afterAll(() => t.cleanup());
  beforeEach(async () => {
    await t.store.command('TRUNCATE TABLE IF EXISTS driftwatch.driftwatch_outbox');
    await t.store.command('TRUNCATE TABLE IF EXISTS driftwatch.driftwatch_experiment_verdicts');
    slack = await FakeSlack.start();
  });
  afterEach(() => slack.stop());

  const slackConfig = (): Config => ({ ...t.config, sinks: { ...t.config.sinks, slack: { channel: '#ml', apiUrl: slack.url } } });

  it('posts a new experiment once, nothing while its verdict holds, and its change in the thread; a retried cycle posts nothing more', async () => {
    const box = await Outbox.open(t.store, slackConfig(), new SlackReceiver(slackConfig(), { token: 'xoxb-experiments', timeoutMs: 500 }));
    const tracker = await DecisionTracker.open(t.store, slackConfig(), EXPERIMENT_DECISIONS, box);
    const cycle = async (kind: ExperimentVerdictKind, at: Date) => {
      const changes = await tracker.queueChanges([verdict(kind)], at);
      await tracker.save();
      await box.flush();
      return changes.map((c) => `${c.previous ?? 'new'}→${c.verdict.verdict}`);
    };
    expect(await cycle('continue', AT)).toEqual(['new→continue']);
    expect(await cycle('continue', new Date(AT.getTime() + MIN5))).toEqual([]);
    const shipAt = new Date(AT.getTime() + 2 * MIN5);
    expect(await cycle('ship', shipAt)).toEqual(['continue→ship']);
    // The same cycle again (a retried daemon cycle): the same change, the same outbox item, no second post.
    const again = await DecisionTracker.open(t.store, slackConfig(), EXPERIMENT_DECISIONS, box);
    expect((await again.queueChanges([verdict('ship')], shipAt)).map((c) => c.previous)).toEqual(['continue']);
    await box.flush();
    expect(slack.posts.map((p) => p.text.split(' — ')[0])).toEqual(['🟡 New experiment: v44 against v41 of card-auth: *continue*', '🟢 Experiment v44 against v41 of card-auth: continue → *ship*']);
    expect(slack.posts[1]?.threadTs).toBe(slack.posts[0]?.ts);
    expect(slack.posts[0]?.metadata).toMatchObject({ event_type: 'driftwatch_experiment_verdict', event_payload: { kind: 'experiment' } });
  });
});
