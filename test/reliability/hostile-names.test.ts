// Hostile issuer names are legitimate segments: their outages are found, and no query, message, label, table or document breaks.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsHook } from '../../src/cli/hooks.js';
import { Daemon, type CycleOutcome } from '../../src/daemon.js';
import { silentLogger } from '../../src/log.js';
import type { Evaluation } from '../../src/core/types.js';
import { gatherReport, renderHtml, renderText, type ReportData } from '../../src/report/index.js';
import { formatForConsole } from '../../src/sinks/console.js';
import { parseNotification } from '../../src/sinks/outbox.js';
import { runCli } from '../helpers/cli.js';
import { parseMetrics, type MetricFamily } from '../helpers/prom.js';
import { eventRow, outcomeRow, rng } from '../helpers/rows.js';
import { FakeSlack } from '../helpers/slack-server.js';
import type { TempStore } from '../helpers/store.js';
import { PROMTOOL, PROMTOOL_MISSING } from '../rules/promtool.js';
import { alertingStore } from '../helpers/daemon.js';

const AT = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;

/** Issuer names a real system might hold, on purpose or not. */
export const HOSTILE: Record<string, string> = {
  empty: '',
  long: `LONG-${'x'.repeat(10 * 1024)}`,
  nul: 'nul\u0000byte',
  control: 'line\nbreak\ttab\r\u001b[31mred\u0007',
  bidi: '\u202Eknab\u202C \u200Fmark\u2066iso\u2069',
  unicode: 'Bänk Ünïcode 日本 💳🏦 👩‍👩‍👧',
  channel: '<!channel> <!here> <@U123>',
  script: '<script>alert(1)</script>',
  markup: '*bold* _it_ ~strike~ `code` &amp; <http://evil.example|click>',
  sql: "'; DROP TABLE scoring_events; --",
  quotes: 'back\\slash "double" {x:String}',
};
const NAMES = Object.values(HOSTILE);

/** What no rendering may contain: C0 controls but tab and newline, DEL, bidi overrides and isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;
/** On a terminal a tab inside a value is unsafe too. */
// eslint-disable-next-line no-control-regex
const UNSAFE_ON_CONSOLE = /[\u0009]/;

let t: TempStore;
let slack: FakeSlack;
let daemon: Daemon;
let outcome: CycleOutcome | undefined;
let metricsText: string;
let eventCount: number;
let report: ReportData | undefined;

/** The weekly report's data for the week of the outage, gathered once. */
async function reportData(): Promise<ReportData> {
  report ??= await gatherReport(t.store, t.config, { at: new Date('2026-11-21T00:00:00Z'), backfill: false, logger: silentLogger });
  return report;
}

/** An outage at every hostile issuer: approvals fall to a third of the score's in the current day. */
async function seedHostileOutages(): Promise<number> {
  const random = rng(7);
  const events: Record<string, unknown>[] = [];
  const outcomes: Record<string, unknown>[] = [];
  NAMES.forEach((issuer, k) => {
    const write = (fromH: number, toH: number, n: number, factor: number) => {
      for (let i = 0; i < n; i++) {
        const time = new Date(AT.getTime() - fromH * HOUR + random() * (fromH - toH) * HOUR);
        const score = 0.75 + 0.2 * random();
        const id = `h${k}-${fromH}-${i}`;
        events.push(eventRow({ time, id, issuer, region: 'EU', score }));
        outcomes.push(outcomeRow(id, new Date(time.getTime() + 30_000), random() < score * factor ? 1 : 0));
      }
    };
    write(8 * 24, 24, 1500, 1);
    write(24, 0, 400, 1 / 3);
  });
  await t.store.insert('scoring_events', events);
  await t.store.insert('outcomes', outcomes);
  return events.length;
}

beforeAll(async () => {
  slack = await FakeSlack.start();
  t = await alertingStore(slack.url);
  eventCount = await seedHostileOutages();
  const hook = await alertsHook({ store: t.store, config: t.config, logger: silentLogger }, { SLACK_BOT_TOKEN: 'xoxb-hostile' });
  daemon = new Daemon({ config: t.config, store: t.store, hooks: [hook], runOnStart: false, beforeCycle: async () => ({ at: AT }) });
  await daemon.start();
  outcome = await daemon.tick();
  metricsText = await (await fetch(`${daemon.url}/metrics`)).text();
  await daemon.stop();
});
afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await slack?.stop();
});

describe('an outage at a strangely named issuer is still an outage', () => {
  it('every hostile issuer is judged critical for its approval drop, its name intact', () => {
    expect(outcome?.ok).toBe(true);
    const critical = (outcome?.result?.findings ?? []).filter((f: Evaluation) => f.monitor === 'approval_rate' && f.severity === 'critical');
    expect(critical.map((f) => f.segment.issuer).sort()).toEqual([...NAMES].sort());
  });

  it('the SQL-looking name dropped nothing: the tables and their rows are all there', async () => {
    const [row] = await t.store.select<{ events: number; outcomes: number; tables: number }>(
      `SELECT (SELECT count() FROM scoring_events) AS events, (SELECT count() FROM outcomes) AS outcomes,
              (SELECT count() FROM system.tables WHERE (database = currentDatabase() AND name IN ('scoring_events', 'outcomes')) OR (database = 'driftwatch' AND name IN ('driftwatch_metrics', 'driftwatch_alerts'))) AS tables`,
    );
    expect(row).toEqual({ events: eventCount, outcomes: eventCount, tables: 4 });
  });
});

describe('stored exactly as they are', () => {
  it('the history and alerts tables round-trip every name byte for byte', async () => {
    const history = await t.store.select<{ issuer: string }>(`SELECT DISTINCT segment['issuer'] AS issuer FROM driftwatch.driftwatch_metrics WHERE monitor = 'approval_rate'`);
    expect(history.map((r) => r.issuer).sort()).toEqual([...NAMES].sort());
    const alerts = await t.store.select<{ issuer: string }>(`SELECT DISTINCT segment['issuer'] AS issuer FROM driftwatch.driftwatch_alerts FINAL WHERE state = 'firing' AND monitor = 'approval_rate'`);
    expect(alerts.map((r) => r.issuer).sort()).toEqual([...NAMES].sort());
  });
});

describe('Slack: escaped, shortened, nobody pinged', () => {
  it('one roll-up for the region whose issuers all fell, no raw markup, mentions or control characters, within Slack limits', () => {
    const posts = slack.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((c) => c.status === 200)).toBe(true);
    expect(slack.parents.map((p) => p.text)).toEqual([expect.stringMatching(/region\* EU · \d+ segments/)]);
    for (const call of posts) {
      const body = JSON.stringify(call.body);
      for (const raw of ['<!channel>', '<!here>', '<@U123>', '<script>', '*bold*', '_it_', '~strike~', '`code`', '<http://evil.example|click>']) expect(body).not.toContain(raw);
      expect(call.raw).not.toMatch(UNSAFE);
      expect(call.raw).not.toContain('x'.repeat(200));
      expect(call.raw.length).toBeLessThan(40_000);
      const blocks = (call.body.blocks ?? []) as { type: string; text?: { text: string } }[];
      for (const block of blocks) {
        if (block.type === 'header') expect(Array.from(block.text?.text ?? '').length).toBeLessThanOrEqual(150);
        if (block.text) expect(Array.from(block.text.text).length).toBeLessThanOrEqual(3000);
      }
    }
    const text = JSON.stringify(slack.posts);
    // Shown, inert: escaped markup, mrkdwn characters swapped for look-alikes, the long name cut.
    for (const shown of ['&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt;', '&lt;script&gt;', "'; DROP TABLE scoringˍevents; --", '∗bold∗ ˍitˍ ∼strike∼ ˋcodeˋ', 'LONG-xxx']) expect(text).toContain(shown);
  });

  it('the console rendering (demo, no token) is one clean line per value', async () => {
    const payloads = await t.store.select<{ payload: string }>(`SELECT payload FROM driftwatch.driftwatch_outbox FINAL`);
    expect(payloads.length).toBeGreaterThan(0);
    for (const { payload } of payloads) {
      const text = formatForConsole(parseNotification(payload), t.config);
      expect(text).not.toMatch(UNSAFE);
      expect(text).not.toMatch(UNSAFE_ON_CONSOLE);
      expect(text).not.toContain('x'.repeat(200));
    }
  });
});

describe('Prometheus: every label value safe', () => {
  it('/metrics parses, carries each issuer (capped, no control characters), and promtool accepts it', () => {
    const families: MetricFamily[] = parseMetrics(metricsText);
    const delta = families.find((f) => f.name === 'driftwatch_approval_rate_delta');
    const issuers = (delta?.metrics ?? []).map((m) => m.labels?.issuer ?? '');
    expect(issuers).toHaveLength(NAMES.length);
    expect(new Set(issuers).size).toBe(NAMES.length);
    for (const issuer of issuers) {
      expect(Array.from(issuer).length).toBeLessThanOrEqual(128);
      expect(issuer).not.toMatch(UNSAFE);
    }
    for (const name of [HOSTILE.channel, HOSTILE.script, HOSTILE.sql, HOSTILE.unicode, HOSTILE.quotes, HOSTILE.empty]) expect(issuers).toContain(name);
    if (!PROMTOOL) {
      console.warn(PROMTOOL_MISSING);
      return;
    }
    // prom-client's own process metrics break promtool's naming lint (nodejs_active_handles_total is a gauge): not ours to judge.
    const ours = metricsText
      .split('\n')
      .filter((line) => !/^(# (HELP|TYPE) )?(nodejs_|process_)/.test(line))
      .join('\n');
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: ours, encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });
});

describe('documents built from the data', () => {
  it('the weekly report HTML escapes every name', async () => {
    const html = renderHtml(await reportData(), [], () => undefined);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;!channel&gt;');
    for (const raw of ['<script>', '<!channel>', '<@U123>', '<http://evil']) expect(html).not.toContain(raw);
  });

  // Fails today: src/report (another engineer's) shows segment values as they are (format.ts segmentText).
  it('the weekly report (HTML and text) shows names without control characters and shortened', async () => {
    const data = await reportData();
    for (const document of [renderHtml(data, [], () => undefined), renderText(data)]) {
      expect(document).not.toMatch(UNSAFE);
      expect(document).not.toContain('x'.repeat(200));
    }
  });

  it('run --once --json prints one valid JSON document holding every name exactly', async () => {
    await t.store.close();
    const configFile = join(t.dir, 'driftwatch.yaml');
    writeFileSync(configFile, `store: { path: ${JSON.stringify(t.config.store.path)} }\nwindows: { maturity: 1h }\nminVolume: 100\n`);
    const { code, stdout, stderr } = await runCli(['run', '--once', '--json', '--config', configFile, '--at', AT.toISOString()]);
    expect(code, stderr).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(stdout) as { findings: { monitor: string; severity: string; segment: { issuer: string } }[] };
    const critical = doc.findings.filter((f) => f.monitor === 'approval_rate' && f.severity === 'critical').map((f) => f.segment.issuer);
    expect(critical.sort()).toEqual([...NAMES].sort());
  });
});
