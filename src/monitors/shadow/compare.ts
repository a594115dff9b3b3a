// The numbers of one shadow-vs-live comparison, from the aggregates of queries/shadow_compare.sql (no rows).
/*
 * AUC and DeLong's paired test come from per-label joint histograms: SQL counts the labeled transactions per
 * (live cell, shadow cell) on a grid of 1024 cells uniform in logit(score) over [−8, 8] (1/64 logit wide; the
 * psi grid's 256 cells split in four), and aucWithDeLongFromHistogram computes the test exactly for the binned
 * scores. Binning only loses the order of a positive and a negative in the same cell, so the error against the
 * raw scores is second order in the cell width. Measured against numpy/scipy DeLong on the raw scores of 34
 * synthetic card-auth data sets (9k–82k labeled transactions; clean, better and worse shadows):
 *              |AUC err|  max 7.5e-5 (median 2.9e-5)   |Δ AUC err| ≤ 1.2e-4   |z err| ≤ 0.028 (≤ 1.8 % of se)
 *   256 cells: |AUC err|  max 3.5e-4 (median 1.0e-4)   |Δ AUC err| ≤ 4.4e-4   |z err| ≤ 0.11  (≤ 8.5 % of se)
 * so the finer grid: its error is small beside minAucDelta (0.005) and beside DeLong's own se (2–6e-3 at these
 * volumes). It costs histogram entries: ~0.9 × the rows at 9k labeled, ~0.7 × at 82k (256 cells: 0.43, 0.17),
 * bounded by 2 · 1024² whatever the volume. test/monitors/shadow-exact.test.ts checks the SQL path against
 * aucWithDeLong on the binned rows (1e-9) and numpy on the raw rows (the error above).
 */
import type { CalibrationBinSums, LatencyQuantiles, ShadowSegment } from '../../aggregates/index.js';
import { aucWithDeLongFromHistogram, calibrationFromBins, twoSidedPValue } from '../../stats/index.js';
import { spearmanFromHistogram } from './spearman.js';

/** AUCs of both on the labeled transactions and DeLong's paired test of their difference. */
export interface AucTest {
  aucLive: number;
  aucShadow: number;
  /** Shadow − live. */
  deltaAuc: number;
  pValue: number;
  /** Standard error of deltaAuc; 0 when every transaction falls in the same cell for both; NaN when unknown. */
  se: number;
}

export interface ShadowComparison {
  model: string;
  shadowVersion: string;
  segment: string[];
  liveVersions: string[];
  nMatched: number;
  nLabeled: number;
  nPositive: number;
  /** Share of matched transactions with the same decision; NaN without any. */
  agreement: number;
  flipMatrix: Record<string, Record<string, number>>;
  /** Share of matched transactions each model would approve. */
  approvalRateLive: number;
  approvalRateShadow: number;
  /** Approve decisions the shadow adds (negative: removes), per 100 matched transactions. */
  expectedApprovalChangePp: number;
  /** McNemar's paired test of the two approval rates: approve → not vs not → approve flips. */
  approvalPValue: number;
  /** Mean (shadow − live) score on the matched transactions. */
  meanScoreDelta: number;
  spearman: number;
  /** Undefined when the labeled transactions lack two of each outcome (or the segment has no histogram). */
  auc: AucTest | undefined;
  eceLive: number;
  eceShadow: number;
  /** Sampling noise of ECE: the ECE a perfectly calibrated score with these bin counts has on average. */
  eceNoiseLive: number;
  eceNoiseShadow: number;
  latencyP50Live: number;
  latencyP50Shadow: number;
  latencyP99Live: number;
  latencyP99Shadow: number;
  /** Standard error of log(shadow p99 / live p99); NaN when either side lacks rows. */
  latencyLogRatioSe: number;
}

export function compare(row: ShadowSegment): ShadowComparison {
  const flips = row.flips;
  const decided = (decision: string, by: 'live' | 'shadow') =>
    Object.entries(flips).reduce((sum, [live, shadows]) => sum + Object.entries(shadows).reduce((s, [shadow, n]) => s + ((by === 'live' ? live : shadow) === decision ? n : 0), 0), 0);
  const agreeing = Object.keys(flips).reduce((sum, decision) => sum + (flips[decision]?.[decision] ?? 0), 0);
  const n = row.matched;
  const live = calibration(row.calibrationLive);
  const shadow = calibration(row.calibrationShadow);
  return {
    model: row.model,
    shadowVersion: row.shadowVersion,
    segment: row.segment,
    liveVersions: row.liveVersions,
    nMatched: n,
    nLabeled: row.labeled,
    nPositive: row.positives,
    agreement: n > 0 ? agreeing / n : NaN,
    flipMatrix: flips,
    approvalRateLive: n > 0 ? decided('approve', 'live') / n : NaN,
    approvalRateShadow: n > 0 ? decided('approve', 'shadow') / n : NaN,
    expectedApprovalChangePp: n > 0 ? (100 * (decided('approve', 'shadow') - decided('approve', 'live'))) / n : NaN,
    approvalPValue: mcNemar(flips),
    meanScoreDelta: row.scored > 0 ? row.sumScoreDelta / row.scored : NaN,
    spearman: spearmanFromHistogram(row.histogram.map((c) => ({ a: c.live, b: c.shadow, count: c.current }))),
    auc: aucTest(row),
    eceLive: live.ece,
    eceShadow: shadow.ece,
    eceNoiseLive: live.noise,
    eceNoiseShadow: shadow.noise,
    latencyP50Live: row.latencyLive.p50,
    latencyP50Shadow: row.latencyShadow.p50,
    latencyP99Live: row.latencyLive.p99,
    latencyP99Shadow: row.latencyShadow.p99,
    latencyLogRatioSe: Math.hypot(p99Se(row.latencyLive) / row.latencyLive.p99, p99Se(row.latencyShadow) / row.latencyShadow.p99),
  };
}

function aucTest(row: ShadowSegment): AucTest | undefined {
  const cells = (label: 'positive' | 'negative') => row.histogram.filter((c) => c[label] > 0).map((c) => ({ a: c.live, b: c.shadow, count: c[label] }));
  const positives = cells('positive');
  const negatives = cells('negative');
  const count = (list: { count: number }[]) => list.reduce((sum, c) => sum + c.count, 0);
  if (count(positives) < 2 || count(negatives) < 2) return undefined;
  // A = shadow, B = live, so z has the sign of shadow − live.
  const test = aucWithDeLongFromHistogram({
    positives: positives.map((c) => ({ a: c.b, b: c.a, count: c.count })),
    negatives: negatives.map((c) => ({ a: c.b, b: c.a, count: c.count })),
  });
  const deltaAuc = test.aucA - test.aucB;
  // The test reports z and p, not se: se = Δ/z. z = 0 leaves se unknown unless both scores share every cell, where
  // the placements, and so Δ and se, are exactly 0 (an identical shadow).
  const sameCells = [...positives, ...negatives].every((c) => c.a === c.b);
  const se = test.z !== 0 ? deltaAuc / test.z : sameCells ? 0 : NaN;
  return { aucLive: test.aucB, aucShadow: test.aucA, deltaAuc, pValue: test.pValue, se };
}

/**
 * Standard error of the sample p99: sqrt(q(1 − q)/n) / f(p99), the quantile's asymptotic normal law, with the
 * density f estimated as 0.015 / (p99.5 − p98). On a thousand rows p99 moves by several per cent from sample to
 * sample; the latency rules test against it instead of reading a noisy ratio as a breach.
 */
function p99Se(latency: LatencyQuantiles): number {
  if (!(latency.n >= 2)) return NaN;
  return (Math.sqrt((0.99 * 0.01) / latency.n) * (latency.p995 - latency.p98)) / 0.015;
}

/**
 * McNemar's test (normal form, no continuity correction) of the approve-decision rates on the same
 * transactions: only discordant pairs carry information. 1 when no decision flips.
 */
function mcNemar(flips: Record<string, Record<string, number>>): number {
  let lost = 0;
  let gained = 0;
  for (const [live, shadows] of Object.entries(flips)) {
    for (const [shadow, n] of Object.entries(shadows)) {
      if (live === 'approve' && shadow !== 'approve') lost += n;
      if (live !== 'approve' && shadow === 'approve') gained += n;
    }
  }
  if (lost + gained === 0) return 1;
  return twoSidedPValue((gained - lost) / Math.sqrt(lost + gained));
}

/**
 * ECE, and its sampling noise: a calibrated score's bin mean label differs from its mean score by
 * |N(0, p(1 − p)/n)| on average, sqrt(2/π)·sqrt(p(1 − p)/n), weighted like ECE's bins. NaN without rows.
 */
function calibration(bins: CalibrationBinSums[]): { ece: number; noise: number } {
  const total = bins.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return { ece: NaN, noise: NaN };
  let noise = 0;
  for (const bin of bins) {
    if (bin.count === 0) continue;
    const p = Math.min(1, Math.max(0, bin.sumScore / bin.count));
    noise += (bin.count / total) * Math.sqrt(((2 / Math.PI) * p * (1 - p)) / bin.count);
  }
  return { ece: calibrationFromBins(bins).ece, noise };
}
