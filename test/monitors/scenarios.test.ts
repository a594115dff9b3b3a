// Acceptance: each injected incident is found at critical by the monitor that should see it; clean traffic pages nobody.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleMaturity } from '../../src/aggregates/maturity.js';
import { AlertEngine } from '../../src/alerts/index.js';
import { openAlertDelivery } from '../../src/sinks/slack.js';
import { FakeSlack, type SlackPost } from '../helpers/slack-server.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import type { CycleResult, Finding } from '../../src/core/types.js';
import { ensureTables } from '../../src/setup.js';
import { seed, type ScenarioName, type SeedSummary } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const END = new Date('2026-11-20T12:00:00Z');
const EVENTS_PER_DAY = 60_000;
let t: TempStore;

beforeAll(async () => {
  t = await tempStore();
});
afterAll(() => t.cleanup());

/**
 * The demo's incidents together, with the mix shift (their targets never overlap: EU, APAC, LATAM, and bad rows
 * spread over every segment): seeded once for the cases that share it.
 */
const COMBINED: ScenarioName[] = ['issuer-outage', 'score-drift', 'miscalibration', 'mix-shift', 'bad-rows'];
let combined: ReturnType<typeof dataset> | undefined;
const combinedDataset = () => (combined ??= dataset('combined', COMBINED));

/** One store, one pair of tables per data set: the embedded engine is one per process. */
async function dataset(name: string, scenarios: ScenarioName[], seedValue = 7): Promise<{ config: Config; summary: SeedSummary; result: CycleResult }> {
  const table = name.replace(/[^a-z0-9]/gi, '_');
  const config = parseConfig({ store: { path: t.config.store.path }, tables: { events: `ev_${table}`, outcomes: `out_${table}`, history: `hist_${table}` } });
  await ensureTables(t.store, config);
  const summary = await seed(t.store, config, { days: 9, end: END, seed: seedValue, scenarios, eventsPerDay: EVENTS_PER_DAY });
  // As `run --once` settles it: the approved outcome's maturity learned from the data (the data sets share the
  // store's one driftwatch_maturity, and their outcomes the same delays: the first learned, 2m, serves them all).
  const settled = (await settleMaturity(t.store, config, END)).config;
  const result = await runCycle(t.store, settled, { at: END });
  return { config: settled, summary, result };
}

const matches = (segment: Record<string, string>) => (f: Finding) => Object.entries(segment).every(([k, v]) => f.segment[k] === v);

describe('each scenario is found at critical on its target', () => {
  const cases: [ScenarioName, Finding['monitor'], (f: Finding) => boolean][] = [
    ['issuer-outage', 'approval_rate', (f) => f.feature === 'delta' && f.value < 0],
    ['score-drift', 'psi', (f) => f.feature === 'score'],
    ['miscalibration', 'calibration', (f) => f.feature === 'ece'],
    ['mix-shift', 'approval_rate', (f) => f.feature === 'mix'],
    ['bad-rows', 'quality', (f) => f.feature === 'bad_score_rate' || f.feature === 'duplicate_rate'],
  ];
  for (const [scenario, monitor, isTheFinding] of cases) {
    it(`${scenario} → ${monitor}`, async () => {
      const { summary, result } = COMBINED.includes(scenario) ? await combinedDataset() : await dataset(scenario, [scenario]);
      const target = summary.targets.find((x) => x.scenario === scenario);
      expect(target, `seed reports a target for ${scenario}`).toBeDefined();
      const found = result.findings.filter((f) => f.monitor === monitor && f.severity === 'critical' && isTheFinding(f));
      const onTarget = target && Object.keys(target.segment).length > 0 ? found.filter(matches(target.segment)) : found;
      expect(onTarget.length, `${scenario}: critical ${monitor} on ${JSON.stringify(target?.segment)}; got ${JSON.stringify(result.findings.map((f) => [f.monitor, f.segment, f.feature, f.severity]))}`).toBeGreaterThan(0);
    });
  }
});

describe('clean traffic', () => {
  for (const seedValue of [1, 2, 3]) {
    it(`seed ${seedValue}: no psi, calibration, approval_rate or performance finding, warning or critical, on any window`, async () => {
      const { result, config } = await dataset(`clean_${seedValue}`, [], seedValue);
      expect(config.windows).toMatchObject({ maturity: 120_000, maturitySource: 'learned' });
      expect(result.evaluations.length).toBeGreaterThan(50);
      expect(result.evaluations.filter((e) => e.monitor === 'performance').length).toBeGreaterThan(50);
      const found = result.findings.filter((f) => ['psi', 'calibration', 'approval_rate', 'performance'].includes(f.monitor));
      expect(found.map((f) => [f.monitor, f.segment, f.feature, f.window, f.value, f.qValue])).toEqual([]);
    });
  }
});

describe("what reaches on-call: incidents, not findings (the demo's scenarios)", () => {
  it('an issuer outage is one incident with its approval and calibration evidence; a regional drift is one roll-up', async () => {
    const { summary, result, config } = await combinedDataset();
    const notifications = await AlertEngine.inMemory({ ...config, alerts: { ...config.alerts, for: 1 } }).observe(result);
    const headlines = notifications.filter((n) => n.kind === 'firing');
    const outage = summary.targets.find((x) => x.scenario === 'issuer-outage')?.segment ?? {};
    const aboutOutage = headlines.filter((n) => n.alerts.some((a) => matchesSegment(a.segment, outage)));
    expect(aboutOutage.map((n) => n.incident?.kind)).toEqual(['issuer-outage']);
    // The outage also wrecks the model's realized performance there (outcomes no longer follow the scores): its
    // performance alerts join the same incident, which still reads as the issuer's outage.
    expect(new Set(aboutOutage[0]?.alerts.map((a) => a.monitor))).toEqual(new Set(['approval_rate', 'calibration', 'performance']));
    // Its thread: every alert's numbers, and the score's PSI that did not move (what points at the issuer).
    const evidence = notifications.find((n) => n.kind === 'evidence' && n.groupKey === aboutOutage[0]?.groupKey);
    expect(evidence?.alerts).toHaveLength(aboutOutage[0]?.alerts.length ?? -1);
    expect(evidence?.steady?.some((v) => v.monitor === 'psi' && v.feature === 'score')).toBe(true);

    const apac = headlines.filter((n) => n.alerts.some((a) => a.segment.region === 'APAC'));
    expect(apac).toHaveLength(1);
    expect(apac[0]?.incident).toMatchObject({ kind: 'traffic-shift', segment: { region: 'APAC' }, shared: { column: 'region', value: 'APAC' } });
    expect(apac[0]?.incident?.shared?.members).toBeGreaterThanOrEqual(2);
    expect(apac[0]?.incident?.shared?.test?.atLeast).toBeGreaterThanOrEqual(2);

    // Through the outbox and the real Slack client, as the demo's daemon posts them: one top-level message for the
    // outage, its evidence in its thread; one for APAC, its segments in its thread.
    const slack = await FakeSlack.start();
    try {
      const slackConfig = { ...config, sinks: { ...config.sinks, slack: { ...config.sinks.slack, apiUrl: slack.url } } };
      const delivery = await openAlertDelivery(t.store, slackConfig, { env: { SLACK_BOT_TOKEN: 'xoxb-scenarios' } });
      expect(await delivery.send(notifications)).toMatchObject({ delivered: notifications.length, failed: 0 });
      const text = (p: SlackPost) => `${p.text} ${JSON.stringify(p.blocks)}`;
      const outageName = outage.issuer as string;
      const [outageParent, ...others] = slack.parents.filter((p) => text(p).includes(outageName));
      expect(others).toEqual([]);
      const outageThread = slack.posts.filter((p) => p.threadTs === outageParent?.ts).map(text).join('\n');
      for (const evidence of ['Approval rate', 'ECE', 'Not moved: *PSI* of score']) expect(outageThread).toContain(evidence);
      const apacParents = slack.parents.filter((p) => text(p).includes('APAC'));
      expect(apacParents).toHaveLength(1);
      const apacThread = slack.posts.filter((p) => p.threadTs === apacParents[0]?.ts).map(text).join('\n');
      const members = new Set(apac[0]?.alerts.map((a) => a.segment.issuer as string));
      for (const issuer of members) expect(apacThread).toContain(issuer);
    } finally {
      await slack.stop();
    }
  });
});

function matchesSegment(segment: Record<string, string>, target: Record<string, string>): boolean {
  return Object.entries(target).every(([k, v]) => segment[k] === v);
}
