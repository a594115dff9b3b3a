// The numbers of one shadow-vs-live comparison, from the aggregates of queries/shadow_compare.sql (no rows).
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
