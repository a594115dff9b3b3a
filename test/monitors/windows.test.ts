// Several current windows (`windows.current: [1h, 24h]`): each statistic judged on each against the one reference,
// one finding per segment (its strongest window), and the config's window set checked at load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { renewals, resolveWindows } from '../../src/core/windows.js';
import type { Evaluation } from '../../src/core/types.js';
import { runCycle } from '../../src/cycle.js';
import { controlFdr } from '../../src/monitors/judge.js';
import { ConfigError } from '../../src/errors.js';
import { runDocument } from '../../src/output.js';
import { prepareCycle } from '../../src/prepare.js';
import { ensureTables } from '../../src/setup.js';
import { historyRows } from '../../src/sinks/history.js';
import { seed, type SeedSummary } from '../../src/synth/index.js';
import { tempStore, type TempStore } from '../helpers/store.js';

const HOUR = 3_600_000;
const END = new Date('2026-11-20T12:00:00Z');

describe('windows.current as a set', () => {
  it('takes lengths shortest first, each within the reference, and a maturity per outcome', () => {
    const config = parseConfig({ windows: { current: ['15m', '1h', '24h'], maturity: { approved: '5m', chargeback: '60d' } } });
    expect(config.windows.current).toEqual([900_000, HOUR, 24 * HOUR]);
    expect(config.windows.maturity).toBe(300_000);
    expect(config.windows.maturities).toEqual({ approved: 300_000, chargeback: 60 * 24 * HOUR });
    expect(parseConfig({}).windows.maturities).toEqual({ approved: 2 * HOUR });
  });

  it('refuses an empty, unordered or too long set, and an approval maturity past the reference, naming the key', () => {
    const invalid = (windows: object) => {
      try {
        parseConfig({ windows });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(invalid({ current: [] })).toMatch(/windows\.current: list at least one window/);
    expect(invalid({ current: ['1h', '15m'] })).toMatch(/windows\.current: list the windows shortest first/);
    expect(invalid({ current: ['1h', '1h'] })).toMatch(/windows\.current: list the windows shortest first/);
    expect(invalid({ current: ['1h', '8d'] })).toMatch(/windows\.current\.1: a current window of 8d is longer than the reference window \(1w\)/);
    expect(invalid({ maturity: { approved: '8d' } })).toMatch(/windows\.maturity\.approved: a maturity of 8d is not shorter than the reference window/);
    expect(invalid({ maturity: { chargeback: '60d' } })).toBe('accepted');
  });
});

describe('every window spends the day window\'s false-alarm budget', () => {
  it('multiplies a short window\'s p-value by how often it renews against a day window before the FDR pass', () => {
    const windows = resolveWindows(parseConfig({ windows: { current: ['15m', '1h', '6h', '24h'] } }), END);
    expect(['15m', '1h', '6h', '1d', 'sequential', undefined].map((window) => renewals({ window }, windows))).toEqual([96, 24, 4, 1, 1, 1]);
    // One configured window: its evaluations name no window, and it renews all the same.
    expect(renewals({}, resolveWindows(parseConfig({ windows: { current: '15m' } }), END))).toBe(96);
    const evaluation = (window: string): Evaluation => ({ monitor: 'psi', model: 'm', segment: {}, feature: 'score', window, value: 1, threshold: 0.1, severity: 'ok', nCurrent: 100, nReference: 1000, pValue: 0.001 });
    const judged = [evaluation('15m'), evaluation('1d')];
    controlFdr(judged, 0.01, (e) => renewals(e, windows));
    // BH over [0.096, 0.001]: q = 0.096 for the 15-minute window, 0.002 for the day window; p-values stay the tests' own.
    expect(judged.map((e) => [e.pValue, e.qValue])).toEqual([
      [0.001, 0.096],
      [0.001, 0.002],
    ]);
  });
});

describe('a cycle with [1h, 24h] on an outage 90 minutes old', () => {
  let t: TempStore;
  let summary: SeedSummary;
  // The sequential test off unless asked for: these tests are about the windows.
  const configOf = (current: string | string[], sequential = false): Config =>
    parseConfig({ store: { path: t.config.store.path }, windows: { current, maturity: { approved: '5m' } }, minVolume: 100, monitors: { approval_rate: { sequential: { enabled: sequential } }, performance: { enabled: false } } });

  beforeAll(async () => {
    t = await tempStore();
    const config = configOf('24h');
    await ensureTables(t.store, config);
    summary = await seed(t.store, config, { days: 9, end: END, seed: 9, scenarios: ['issuer-outage'], eventsPerDay: 120_000, incidentStart: new Date(END.getTime() - 1.5 * HOUR) });
  }, 180_000);
  afterAll(() => t.cleanup());

  it('the 1h window finds it at critical where the 24h window alone does not, once per segment, the same from the rollup', async () => {
    const target = summary.targets.find((x) => x.scenario === 'issuer-outage');
    const onTarget = (f: { monitor: string; model: string; feature: string; segment: Record<string, string> }) =>
      f.monitor === 'approval_rate' && f.model === target?.model && f.feature === 'delta' && f.segment.issuer === target?.segment.issuer && f.segment.region === target?.segment.region;

    const single = await runCycle(t.store, configOf('24h'), { at: END });
    expect(single.findings.filter((f) => onTarget(f) && f.severity === 'critical')).toEqual([]);

    const config = configOf(['1h', '24h']);
    const raw = await runCycle(t.store, config, { at: END });
    const found = raw.findings.filter(onTarget);
    expect(found.map((f) => [f.severity, f.window])).toEqual([['critical', '1h']]);
    // Both windows were judged (and went through the one FDR pass); the finding is the strongest of them.
    expect(raw.evaluations.filter(onTarget).map((e) => e.window).sort()).toEqual(['1d', '1h']);

    const rolled = await runCycle(t.store, config, await prepareCycle(t.store, config, END));
    // Sums in another order: equal to ~1e-14, compared at nine significant digits.
    const near = (x: number | undefined) => (x === undefined ? x : Number(x.toPrecision(9)));
    const brief = (r: typeof raw) => r.evaluations.map((e) => [e.monitor, e.window, JSON.stringify(e.segment), e.feature, near(e.value), near(e.qValue), e.severity]);
    expect(brief(rolled)).toEqual(brief(raw));

    const doc = runDocument(raw);
    expect(doc.windows.currents?.map((w) => w.name)).toEqual(['1h', '1d']);
    expect(doc.findings.find(onTarget)).toMatchObject({ window: '1h', severity: 'critical' });
    // Gauges and history keep one value per segment: the longest window's.
    expect(historyRows(raw, 'c').filter((r) => r.monitor === 'approval_rate' && r.model === target?.model && r.metric === 'approval_delta' && r.segment.issuer === target?.segment.issuer && r.segment.region === target?.segment.region)).toHaveLength(1);
  }, 180_000);

  it('the sequential test finds it with the 24h window alone, dated from the onset, and nothing else at critical', async () => {
    const target = summary.targets.find((x) => x.scenario === 'issuer-outage');
    const result = await runCycle(t.store, configOf('24h', true), { at: END });
    const critical = result.findings.filter((f) => f.severity === 'critical' && f.monitor === 'approval_rate' && f.feature === 'delta');
    expect(critical.map((f) => [f.model, f.segment.issuer, f.segment.region, f.window])).toEqual([[target?.model, target?.segment.issuer, target?.segment.region, 'sequential']]);
    const [finding] = critical;
    const since = Date.parse((finding?.details as { since: string }).since);
    // The strongest span starts at the onset, to the strip (five minutes; the matured edge is 5 minutes before END).
    expect(Math.abs(since - (END.getTime() - 1.5 * HOUR))).toBeLessThanOrEqual(5 * 60_000);
    expect(finding?.value).toBeLessThan(-0.3);
    expect(finding?.qValue).toBeLessThan(1e-6);
    // One sequential evaluation per segment big enough to judge, every one through the cycle's FDR pass.
    const sequential = result.evaluations.filter((e) => e.window === 'sequential');
    expect(sequential.length).toBeGreaterThan(50);
    expect(sequential.every((e) => e.qValue !== undefined)).toBe(true);
  }, 180_000);
});
