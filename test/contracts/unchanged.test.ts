// What a user sees from one cycle on seeded incidents, pinned: the `run --json` document, every evaluation, the
// Slack messages, /metrics, the history rows and the weekly report's text. Refactors must leave these files as
// they are; a deliberate change of behaviour updates them (`vitest -u`) in the same commit that explains it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEngine, verdictNotification } from '../../src/alerts/index.js';
import type { AnyNotification } from '../../src/alerts/types.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import type { CycleResult } from '../../src/core/types.js';
import { runDocument } from '../../src/output.js';
import { prepareCycle } from '../../src/prepare.js';
import { gatherReport, renderText } from '../../src/report/index.js';
import { ensureTables } from '../../src/setup.js';
import { historyRows } from '../../src/sinks/history.js';
import { Metrics } from '../../src/sinks/prometheus/index.js';
import { plainTextFor, slackMessageFor } from '../../src/sinks/slack/render.js';
import { seed, SCENARIOS } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const END = new Date('2026-11-20T12:00:00Z');
let t: TempStore;
let config: Config;
let result: CycleResult;

/** Ten significant digits, far below any threshold: a log-loss change is a difference of two sums the engine adds in parallel, in an order that varies, so its 12th digit does too. */
const round = (v: unknown): unknown =>
  typeof v === 'number' ? (Number.isFinite(v) ? Number(v.toPrecision(10)) : String(v)) : Array.isArray(v) ? v.map(round) : v && typeof v === 'object' && !(v instanceof Date) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v;

const json = (v: unknown) => `${JSON.stringify(round(v), null, 1)}\n`;

beforeAll(async () => {
  t = await tempStore();
  config = parseConfig({
    store: { path: t.config.store.path },
    features: ['amount_z', 'velocity_1h', 'card_network'],
    // What a session reads off the events table's schema (src/store/sources.ts): card_network is a String column.
    featureColumns: ['card_network'],
    sinks: { slack: { channel: '#payments-alerts' } },
    alerts: { grafanaUrl: 'https://grafana.example' },
  });
  await ensureTables(t.store, config);
  // Every incident scenario; the experiments (ab-*) move card-auth's live traffic to another version, which every
  // number here would move with: they have their own tests (test/monitors/experiments.test.ts).
  await seed(t.store, config, { days: 9, end: END, seed: 11, scenarios: SCENARIOS.filter((s) => !s.startsWith('ab-')), eventsPerDay: 30_000 });
  result = await runCycle(t.store, config, { ...(await prepareCycle(t.store, config, END)) });
}, 300_000);
afterAll(() => t.cleanup());

describe('one cycle on every seeded incident reads the same as before', () => {
  it('run --json', async () => {
    const { durationMs, ...doc } = runDocument(result);
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(doc.findings.length, 'the seed has incidents to find').toBeGreaterThan(5);
    await expect(json(doc)).toMatchFileSnapshot('snapshots/run.json');
  });

  it('every evaluation', async () => {
    const rows = result.evaluations
      .map((e) => ({ monitor: e.monitor, model: e.model, segment: e.segment, feature: e.feature, window: e.window, value: e.value, threshold: e.threshold, severity: e.severity, n: [e.nCurrent, e.nReference], p: e.pValue, q: e.qValue }))
      .map((e) => JSON.stringify(round(e)))
      .sort();
    await expect(`${rows.join('\n')}\n`).toMatchFileSnapshot('snapshots/evaluations.jsonl');
  });

  it('Slack and console messages', async () => {
    const queued: AnyNotification[] = [];
    const engine = await AlertEngine.open(t.store, config, { queue: { enqueue: async (n) => void queued.push(...n) } });
    await engine.observe(result);
    for (const verdict of result.shadow) queued.push(verdictNotification({ model: verdict.model, shadowVersion: verdict.shadowVersion, verdict, at: result.at }));
    expect(queued.length).toBeGreaterThan(2);
    await expect(json(queued.map((n) => slackMessageFor(n, config)))).toMatchFileSnapshot('snapshots/slack.json');
    await expect(queued.map((n) => plainTextFor(n, config)).join('\n----\n')).toMatchFileSnapshot('snapshots/console.txt');

    const metrics = new Metrics(config, { defaultMetrics: false, now: () => END.getTime() });
    metrics.recordCycle({ ...result, durationMs: 1500 }, engine.firingCounts());
    // Sample values to 12 significant digits, as the JSON snapshots: a sum of floats the engine adds in parallel (log
    // loss) may differ in its last bits from run to run.
    const exposition = (await metrics.registry.metrics()).replace(/^([a-z_]+(?:\{[^}]*\})?) (-?\d+\.\d+(?:e[-+]?\d+)?)$/gm, (_m, series: string, value: string) => `${series} ${Number(Number(value).toPrecision(12))}`);
    await expect(exposition).toMatchFileSnapshot('snapshots/metrics.txt');
  });

  it('history rows', async () => {
    const rows = historyRows(result, 'cycle-1').map((r) => JSON.stringify(round(r)));
    await expect(`${rows.sort().join('\n')}\n`).toMatchFileSnapshot('snapshots/history.jsonl');
  });

  it('weekly report', async () => {
    const text = renderText(await gatherReport(t.store, config, { at: END, backfill: false }));
    await expect(text).toMatchFileSnapshot('snapshots/report.txt');
  });
});
