import { describe, expect, it } from 'vitest';
import type { AlertView, Notification } from '../../src/alerts/index.js';
import { parseConfig } from '../../src/config/index.js';
import { ConsoleDelivery, formatForConsole } from '../../src/sinks/console.js';
import { cleanValue, escapeMrkdwn, mrkdwnValue } from '../../src/sinks/slack/escape.js';
import { describeNotification, drillDownUrl } from '../../src/sinks/slack/message.js';
import { toSlackMessage } from '../../src/sinks/slack/render.js';

const config = parseConfig({ alerts: { grafanaUrl: 'https://grafana.example/' } });
const at = new Date('2026-11-24T12:00:00Z');

function view(over: Partial<AlertView> = {}): AlertView {
  return {
    key: 'k', monitor: 'approval_rate', model: 'card-auth', segment: { issuer: 'Chase', region: 'EU' }, feature: 'delta', state: 'firing',
    severity: 'critical', value: -0.072, threshold: 0.08, nCurrent: 1234, nReference: 5678, pValue: 1.2e-6,
    since: new Date('2026-11-24T11:30:00Z'), firingSince: new Date('2026-11-24T11:35:00Z'), isNew: true, ...over,
  };
}

function notification(over: Partial<Notification> = {}): Notification {
  return { groupKey: 'card-auth/approval_rate', model: 'card-auth', monitor: 'approval_rate', kind: 'firing', alerts: [view()], resolved: [], warnings: [], episode: at, at, ...over };
}

describe('escaping', () => {
  it('escapes Slack reserved characters so nothing can ping', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });

  it('neutralises formatting characters and caps long values', () => {
    expect(mrkdwnValue('*bold* _it_ ~s~ `c`')).toBe('∗bold∗ ˍitˍ ∼s∼ ˋcˋ');
    const long = mrkdwnValue('A'.repeat(10_000));
    expect(Array.from(long)).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
    expect(cleanValue('a\nb\u001b[31mc')).toBe('a b [31mc');
  });
});

describe('Slack message', () => {
  it('has a header saying what and where, and per alert: segment, size, volume, since, Grafana link', () => {
    const { text, blocks } = toSlackMessage(describeNotification(notification(), config));
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🔴 Approval rate dropped — card-auth', emoji: true } });
    const body = JSON.stringify(blocks);
    expect(body).toContain('*issuer* Chase · *region* EU');
    expect(body).toContain('−7.2 pp, threshold ±8.0 pp');
    expect(body).toContain('p = 1.2e-6');
    expect(body).toContain('Volume 1,234 now vs 5,678 reference');
    expect(body).toContain(`<!date^${Date.parse('2026-11-24T11:30:00Z') / 1000}^{date_short_pretty} {time}|2026-11-24 11:30 UTC>`);
    expect(body).toContain('https://grafana.example/d/driftwatch-segment/segment-drill-down?var-model=card-auth&var-issuer=Chase&var-region=EU');
    expect(body).toContain(config.alerts.runbookUrl);
    expect(text).toContain('Approval rate dropped');
  });

  it('URL-encodes segment values in the drill-down link and omits it without grafanaUrl', () => {
    expect(drillDownUrl({ model: 'a b', segment: { issuer: 'A&B/é', region: '#1' } }, config)).toBe(
      'https://grafana.example/d/driftwatch-segment/segment-drill-down?var-model=a%20b&var-issuer=A%26B%2F%C3%A9&var-region=%231',
    );
    expect(drillDownUrl({ model: 'm', segment: {} }, parseConfig({}))).toBeUndefined();
  });

  it('lists ten alerts of a 40-region outage and counts the rest', () => {
    const alerts = Array.from({ length: 40 }, (_, i) => view({ key: `k${i}`, segment: { issuer: 'Chase', region: `R${i}` } }));
    const { blocks } = toSlackMessage(describeNotification(notification({ alerts }), config));
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(blocks.filter((b) => b.type === 'section' && 'accessory' in b)).toHaveLength(10);
    expect(JSON.stringify(blocks)).toContain('…and 30 more firing');
    expect(JSON.stringify(blocks)).toContain('*40 alerts* critical');
  });

  it('names the shadow of a shadow alert: two shadows of one model can alert together', () => {
    const shadow = view({ monitor: 'shadow', segment: {}, feature: 'auc_delta', value: -0.02, threshold: 1, shadowVersion: 'v42 <!here>' });
    const { blocks } = toSlackMessage(describeNotification(notification({ groupKey: 'card-auth/shadow', monitor: 'shadow', alerts: [shadow] }), config));
    expect(JSON.stringify(blocks)).toContain('🔴 all traffic · *shadow* v42 &lt;!here&gt;');
  });

  it('says what resolved and for how long', () => {
    const resolved = [view({ state: 'resolved', value: -0.01, resolvedAt: at, resolveReason: 'below warning for 2 cycles' })];
    const { blocks } = toSlackMessage(describeNotification(notification({ kind: 'resolved', alerts: [], resolved }), config));
    const body = JSON.stringify(blocks);
    expect((blocks[0] as { text: { text: string } }).text.text).toBe('✅ Resolved: Approval rate dropped — card-auth');
    expect(body).toContain('lasted 25m');
  });
});

describe('console', () => {
  it('prints the same message as text, with control characters removed', async () => {
    const printed: string[] = [];
    const delivery = new ConsoleDelivery(config, { write: (text) => printed.push(text) });
    await delivery.enqueue([notification({ alerts: [view({ segment: { issuer: 'Evil\u001b[2J', region: 'EU' } })] })]);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('🔴 Approval rate dropped — card-auth');
    expect(printed[0]).toContain('issuer Evil [2J · region EU');
    expect(printed[0]).toContain('Grafana: https://grafana.example/');
    expect(printed[0]).not.toContain('\u001b');
    expect(formatForConsole(notification(), config)).toContain('Runbook: ');
  });
});
