// The KS monitor (src/monitors/ks): its statistic against scipy, its false-alarm rate on clean histograms, and a
// cycle on seeded traffic with it turned on, read from the raw tables and from the rollup alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { runCycle } from '../../src/cycle.js';
import { ConfigError } from '../../src/errors.js';
import { ksMonitor } from '../../src/monitors/ks/index.js';
import { kolmogorovSurvival, ksFromCounts } from '../../src/monitors/ks/statistic.js';
import { checkMonitorSettings } from '../../src/monitors/registry.js';
import { prepareCycle } from '../../src/prepare.js';
import { ensureTables } from '../../src/setup.js';
import { historyRows } from '../../src/sinks/history.js';
import { Metrics } from '../../src/sinks/prometheus/index.js';
import { seed } from '../../src/synth/index.js';
import { expectClose, fixture, multinomial, seededRandom } from '../stats/support.js';
import { tempStore, type TempStore } from '../helpers/store.js';

// Oracle: scipy.stats.ks_2samp(method='asymp') on the samples with every value at its grid cell, and
// scipy.stats.kstwobign.sf (test/fixtures/stats/make_fixtures.py, `ks`). Tolerance: 1e-12 absolute on the
// statistic (a difference of two ratios of counts), 1e-9 relative on p-values.
interface KsFixture {
  cases: { reference: number[]; current: number[]; statistic: number; effectiveN: number; pValue: number }[];
  survival: { lambda: number; q: number }[];
}
const oracle = fixture<KsFixture>('ks');

describe('ksFromCounts', () => {
  it('matches scipy.stats.ks_2samp on grid histograms', () => {
    for (const c of oracle.cases) {
      const result = ksFromCounts(c.reference, c.current);
      expectClose(result.statistic, c.statistic, 0, 1e-12);
      expectClose(result.effectiveN, c.effectiveN);
      expectClose(result.pValue, c.pValue, 1e-9, 1e-15);
    }
  });

  it("Kolmogorov's survival function matches scipy.stats.kstwobign.sf on both of its series", () => {
    for (const { lambda, q } of oracle.survival) expectClose(kolmogorovSurvival(lambda), q, 1e-9, 1e-15);
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(40)).toBe(0);
  });

  it('keeps its false-alarm rate on histograms drawn from one distribution (binning makes it conservative)', () => {
    const uniform = seededRandom(23);
    // A logit-normal score on the 256-cell grid, as the rollup holds it.
    const density = Array.from({ length: 256 }, (_, cell) => Math.exp(-(((cell + 0.5) / 16 - 9) ** 2) / (2 * 1.2 ** 2)));
    const total = density.reduce((a, b) => a + b, 0);
    const p = density.map((d) => d / total);
    const draws = 1000;
    let rejected = 0;
    for (let i = 0; i < draws; i++) if (ksFromCounts(multinomial(uniform, 2000, p), multinomial(uniform, 400, p)).pValue <= 0.05) rejected++;
    // At a nominal 5 %: binomial(1000, 0.05) exceeds 70 with probability < 0.3 %; a ties-blind test would not.
    expect(rejected / draws).toBeLessThanOrEqual(0.07);
  });

  it('rejects mismatched lengths and empty histograms', () => {
    expect(() => ksFromCounts([1, 2], [1])).toThrow(RangeError);
    expect(() => ksFromCounts([0, 0], [1, 2])).toThrow(/all zero/);
  });
});

describe('monitors.ks settings', () => {
  it('are off by default and checked when the config loads', () => {
    const config = parseConfig({});
    expect(ksMonitor.enabled(config)).toBe(false);
    expect(() => checkMonitorSettings(config)).not.toThrow();
    const bad = parseConfig({ monitors: { ks: { enabled: true, thresholds: { warning: 0.3, critical: 0.2 } } } });
    expect(() => checkMonitorSettings(bad)).toThrow(ConfigError);
    expect(() => checkMonitorSettings(bad)).toThrow(/monitors\.ks\.thresholds: warning must not exceed critical/);
    expect(() => checkMonitorSettings(parseConfig({ monitors: { kss: { enabled: true } } }))).toThrow(/monitors\.kss: unknown key \(the monitors are psi, .*ks, experiments\)/);
  });
});

describe('a cycle with monitors.ks on', () => {
  const END = new Date('2026-11-20T12:00:00Z');
  let t: TempStore;
  let config: Config;
  beforeAll(async () => {
    t = await tempStore();
    config = parseConfig({ store: { path: t.config.store.path }, windows: { current: '24h' }, monitors: { ks: { enabled: true } } });
    await ensureTables(t.store, config);
    await seed(t.store, config, { days: 9, end: END, seed: 5, scenarios: ['score-drift'], eventsPerDay: 40_000 });
  }, 120_000);
  afterAll(() => t.cleanup());

  it('finds the drifted region at critical, the same from the raw tables and from the rollup, and every sink shows it', async () => {
    const raw = await runCycle(t.store, config, { at: END });
    const rolled = await runCycle(t.store, config, await prepareCycle(t.store, config, END));
    const ks = (r: typeof raw) => r.evaluations.filter((e) => e.monitor === 'ks').map((e) => [JSON.stringify(e.segment), e.value, e.pValue, e.severity]);
    expect(ks(rolled)).toEqual(ks(raw));
    const critical = raw.findings.filter((f) => f.monitor === 'ks' && f.severity === 'critical');
    expect(critical.length).toBeGreaterThan(0);
    // Where KS pages, PSI agrees (the same drift, another statistic).
    for (const f of critical) {
      const psi = raw.evaluations.find((e) => e.monitor === 'psi' && e.feature === 'score' && JSON.stringify(e.segment) === JSON.stringify(f.segment));
      expect(psi?.severity, JSON.stringify(f.segment)).not.toBe('ok');
    }

    const metrics = new Metrics(config, { defaultMetrics: false });
    metrics.recordCycle(raw);
    expect(await metrics.registry.metrics()).toMatch(/^driftwatch_ks_distance\{model="card-auth",feature="score",issuer="[^"]+",region="[^"]+"\} 0\.\d+$/m);
    expect(historyRows(raw, 'c').filter((r) => r.monitor === 'ks' && r.metric === 'ks_distance').length).toBe(ks(raw).length);
  }, 120_000);

  it('is absent from /metrics when off', async () => {
    const metrics = new Metrics(parseConfig({}), { defaultMetrics: false });
    expect(await metrics.registry.metrics()).not.toMatch(/driftwatch_ks|monitor="ks"/);
  });
});
