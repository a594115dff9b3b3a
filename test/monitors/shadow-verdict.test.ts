// The shadow verdict rules and the histogram Spearman, as pure functions over hand-made comparisons.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { ShadowComparison } from '../../src/monitors/shadow/compare.js';
import { spearmanFromHistogram, type RankCell } from '../../src/monitors/shadow/spearman.js';
import { decide } from '../../src/monitors/shadow/verdict.js';
import { spearmanCorrelation } from '../../src/stats/index.js';
import { rng } from '../helpers/rows.js';

const t = parseConfig({}).monitors.shadow;

/** A comfortable comparison: plenty of outcomes, equal AUC with some noise, same calibration and latency. */
function comparison(overrides: Partial<ShadowComparison> = {}): ShadowComparison {
  return {
    model: 'card-auth',
    shadowVersion: 'v2',
    segment: [],
    liveVersions: ['v1'],
    nMatched: 20_000,
    nLabeled: 18_000,
    nPositive: 15_000,
    agreement: 0.95,
    flipMatrix: {},
    approvalRateLive: 0.9,
    approvalRateShadow: 0.9,
    expectedApprovalChangePp: 0,
    approvalPValue: 1,
    meanScoreDelta: 0,
    spearman: 0.8,
    auc: { aucLive: 0.8, aucShadow: 0.8, deltaAuc: 0, pValue: 1, se: 0.004 },
    eceLive: 0.01,
    eceShadow: 0.01,
    eceNoiseLive: 0.003,
    eceNoiseShadow: 0.003,
    latencyP50Live: 35,
    latencyP50Shadow: 35,
    latencyP99Live: 90,
    latencyP99Shadow: 90,
    // p99's noise on ~10k rows.
    latencyLogRatioSe: 0.02,
    ...overrides,
  };
}

const auc = (deltaAuc: number, pValue: number, se = 0.004) => ({ aucLive: 0.8, aucShadow: 0.8 + deltaAuc, deltaAuc, pValue, se });

describe('shadow verdict rules', () => {
  it('holds when matured outcomes are too few, or one outcome is too rare, and says so', () => {
    for (const few of [{ nLabeled: 999, nPositive: 800 }, { nLabeled: 5000, nPositive: 4951 }, { auc: undefined }]) {
      const { verdict, reasons } = decide(comparison({ auc: auc(-0.2, 1e-30), ...few }), [], t);
      expect(verdict).toBe('hold');
      expect(reasons[0]).toMatch(/^too few matured outcomes/);
    }
  });

  it('holds an identical shadow (se = 0, p = 1): nothing worse, nothing gained', () => {
    const { verdict, reasons } = decide(comparison({ auc: auc(0, 1, 0), agreement: 1 }), [], t);
    expect(verdict).toBe('hold');
    expect(reasons[0]).toMatch(/no measurable gain/);
  });

  it('rejects a significantly worse AUC, a much worse calibration, or a p99 significantly over budget', () => {
    // The upper bound −0.02 + 3.14·0.003 = −0.011 is below −0.005.
    expect(decide(comparison({ auc: auc(-0.02, 3e-11, 0.003) }), [], t).verdict).toBe('reject');
    expect(decide(comparison({ eceShadow: 0.04 }), [], t).reasons[0]).toMatch(/^calibration much worse/);
    expect(decide(comparison({ latencyP99Shadow: 125 }), [], t).reasons[0]).toBe("latency p99 over budget: 1.39× live's (budget 1.25×)");
    expect(decide(comparison({ latencyP99Shadow: 113, latencyLogRatioSe: 0 }), [], t).verdict).toBe('reject');
  });

  it('holds, not rejects, a p99 over budget within its noise, and does not promote it either', () => {
    const { verdict, reasons } = decide(comparison({ latencyP99Shadow: 113, auc: auc(0.012, 0.003) }), [], t);
    expect(verdict).toBe('hold');
    expect(reasons[0]).toBe("latency p99 1.26× live's, over the 1.25× budget but not significantly yet");
  });

  it('does not reject on small or insignificant differences', () => {
    expect(decide(comparison({ auc: auc(-0.004, 1e-4) }), [], t).verdict).toBe('hold');
    expect(decide(comparison({ auc: auc(-0.02, 0.02, 0.0086) }), [], t).verdict).toBe('hold');
    expect(decide(comparison({ latencyP99Shadow: 112, latencyLogRatioSe: 0 }), [], t).verdict).toBe('hold');
  });

  it('needs an ECE increase beyond twice the sampling noise, however small the configured margin', () => {
    const noisy = { eceNoiseLive: 0.012, eceNoiseShadow: 0.012, eceLive: 0.015 };
    expect(decide(comparison({ ...noisy, eceShadow: 0.045 }), [], t).verdict).toBe('hold');
    expect(decide(comparison({ ...noisy, eceShadow: 0.05 }), [], t).verdict).toBe('reject');
  });

  it('promotes a significantly better AUC, or a non-inferior and faster shadow', () => {
    const better = decide(comparison({ auc: auc(0.03, 1e-13) }), [], t);
    expect(better.verdict).toBe('promote');
    expect(better.reasons[0]).toMatch(/^AUC significantly better: \+0\.030 \(0\.830 vs 0\.800, p=1\.0e-13\)/);
    // The AUC is stated once: the context's own AUC line is left out.
    expect(better.reasons.filter((r) => r.includes('0.830 vs 0.800'))).toHaveLength(1);
    // A segment significantly worse on approvals holds it, as one worse on AUC does (README: every segment fine).
    const approvalsWorse = decide(comparison({ auc: auc(0.03, 1e-13) }), [{ segment: ['Eurobanca', 'EU'], approvalChangePp: -12 }], t);
    expect(approvalsWorse.verdict).toBe('hold');
    expect(approvalsWorse.reasons[0]).toBe('better overall but significantly worse in 1 segment');
    expect(approvalsWorse.reasons.at(-1)).toMatch(/^1 segment worse .*Eurobanca\/EU \(approvals −12\.0 pp\)/);
    expect(decide(comparison({ auc: auc(0.001, 0.8, 0.0015), latencyP99Shadow: 70 }), [], t).verdict).toBe('promote');
    // A copy that ranks every transaction like live (se = 0) is exactly non-inferior: faster, it is promoted.
    expect(decide(comparison({ auc: auc(0, 1, 0), agreement: 1, latencyP99Shadow: 70 }), [], t).verdict).toBe('promote');
    // Not shown non-inferior: the lower bound 0.001 − 3.14·0.004 is below −0.005.
    expect(decide(comparison({ auc: auc(0.001, 0.8, 0.004), latencyP99Shadow: 70 }), [], t).verdict).toBe('hold');
    // Not significantly faster: 0.89× live's, but within p99's noise of the 0.9× it takes.
    expect(decide(comparison({ auc: auc(0.001, 0.8, 0.0015), latencyP99Shadow: 80 }), [], t).verdict).toBe('hold');
  });

  it('holds an AUC difference past the margin but within the noise of a day of cycles, either way', () => {
    // The seed-2 clean backtest's whole model at 2026-11-19 17:15 (28,431 matured outcomes), rejected and paged
    // before: DeLong p = 0.0033 < alpha and −0.0068 ≤ −0.005, but the bound −0.0068 + 3.14·0.0023 is above −0.005.
    const clean = { nLabeled: 28_431, nPositive: 23_261, auc: { aucLive: 0.7824, aucShadow: 0.7756, deltaAuc: -0.00681, pValue: 0.00333, se: 0.00232 } };
    const worse = decide(comparison(clean), [], t);
    expect(worse.verdict).toBe('hold');
    expect(worse.reasons[0]).toMatch(/^AUC difference −0\.007 \(p=0\.0033\) is not significantly beyond the ±0\.005 that counts \(p=0\.\d+ over a day of cycles\)/);
    // Its mirror image: a clean shadow promoted for a lucky day (seed 2 seeded over two days, same hour).
    expect(decide(comparison({ ...clean, auc: { ...clean.auc, deltaAuc: 0.00614, pValue: 0.0094, se: 0.00236 } }), [], t).verdict).toBe('hold');
    // One look at fixed dates pays for no further looks: with se 0.0007, −0.0068 + 2.33·se < −0.005, + 3.14·se is not.
    expect(decide(comparison({ ...clean, auc: { ...clean.auc, se: 0.0007 } }), [], t, { renewals: 0 }).verdict).toBe('reject');
    expect(decide(comparison({ ...clean, auc: { ...clean.auc, se: 0.0007 } }), [], t, { renewals: 1 }).verdict).toBe('hold');
  });

  it('holds a better shadow that is significantly worse on a segment, naming it', () => {
    const { verdict, reasons } = decide(comparison({ auc: auc(0.03, 1e-13) }), [{ segment: ['BANK A', 'EU'], deltaAuc: -0.04 }], t);
    expect(verdict).toBe('hold');
    expect(reasons.at(-1)).toMatch(/^1 segment worse .*: BANK A\/EU \(AUC −0\.040\)$/);
  });

  it('states the numbers behind every verdict', () => {
    const { reasons } = decide(comparison({ auc: auc(0.012, 0.003), latencyP99Shadow: 95, eceShadow: 0.012, expectedApprovalChangePp: 0.6 }), [], t);
    expect(reasons.slice(1, 5)).toEqual([
      'AUC +0.012 (0.812 vs 0.800, p=0.003, 18,000 matured outcomes)',
      'latency p99 95 ms vs 90 ms (p50 35 vs 35)',
      'calibration ECE 0.012 vs 0.010',
      'approvals +0.6 pp expected (90.0 % vs 90.0 % approve decisions; agreement 95.0 % on 20,000 transactions)',
    ]);
  });
});

describe('spearmanFromHistogram', () => {
  it('equals the midrank Spearman of the binned values, ties and all', () => {
    const random = rng(3);
    for (const bins of [3, 20, 256]) {
      const a: number[] = [];
      const b: number[] = [];
      const cells = new Map<string, RankCell>();
      for (let i = 0; i < 2000; i++) {
        const x = Math.floor(random() * bins);
        const y = Math.min(bins - 1, Math.floor((x + random() * bins * 0.5) / 1.5));
        a.push(x);
        b.push(y);
        const cell = cells.get(`${x},${y}`) ?? { a: x, b: y, count: 0 };
        cell.count++;
        cells.set(`${x},${y}`, cell);
      }
      expect(spearmanFromHistogram([...cells.values()])).toBeCloseTo(spearmanCorrelation(a, b), 12);
    }
  });

  it('is NaN when a score sits in one bin or there are fewer than two rows', () => {
    expect(spearmanFromHistogram([{ a: 1, b: 1, count: 5 }, { a: 1, b: 2, count: 5 }])).toBeNaN();
    expect(spearmanFromHistogram([{ a: 1, b: 1, count: 1 }])).toBeNaN();
    expect(spearmanFromHistogram([])).toBeNaN();
  });
});
