// Shadow models vs live on the transactions both scored: agreement, AUC (DeLong), calibration, latency, and a verdict.
import type { ShadowSegment } from '../../aggregates/index.js';
import type { Config } from '../../config/index.js';
import type { CycleWindows, Evaluation, ShadowFigures, ShadowVerdict, ShadowVerdictKind } from '../../core/types.js';
import { windowHours } from '../../core/windows.js';
import { benjaminiHochberg } from '../../stats/index.js';
import { segmentRecord, type Monitor } from '../monitor.js';
import { compare, type ShadowComparison } from './compare.js';
import { shadowPresentation } from './present.js';
import { decide, type Looks, type ShadowThresholds, type WorseSegment } from './verdict.js';

/** The whole model's evaluation carries the verdict and its figures; a segment's carries nothing more. */
export type ShadowDetails = Partial<ShadowFigures> & { verdict?: ShadowVerdictKind; reasons?: string[] };

/** The two per-segment statistics; the whole-model evaluation carries the verdict under `auc_delta`. */
const AUC_DELTA = 'auc_delta';
const APPROVAL_DELTA = 'approval_delta';

interface SegmentTest {
  comparison: ShadowComparison;
  feature: typeof AUC_DELTA | typeof APPROVAL_DELTA;
  /** Shadow − live: AUC, or the share of approve decisions. */
  delta: number;
  pValue: number;
}

function segmentTests(segments: ShadowComparison[]): SegmentTest[] {
  return segments.flatMap((comparison): SegmentTest[] => [
    ...(comparison.auc ? [{ comparison, feature: AUC_DELTA, delta: comparison.auc.deltaAuc, pValue: comparison.auc.pValue } as const] : []),
    { comparison, feature: APPROVAL_DELTA, delta: comparison.expectedApprovalChangePp / 100, pValue: comparison.approvalPValue },
  ]);
}

/**
 * Segments significantly worse under the shadow by at least the configured drop. Benjamini–Hochberg at alpha
 * across this shadow's segment tests: with hundreds of segments, raw p < alpha would name a few by chance.
 */
function worseSegments(tests: SegmentTest[], t: ShadowThresholds): WorseSegment[] {
  if (tests.length === 0) return [];
  const { rejected } = benjaminiHochberg(
    tests.map((test) => test.pValue),
    t.alpha,
  );
  const worse = new Map<string, WorseSegment>();
  tests.forEach((test, i) => {
    const drop = test.feature === AUC_DELTA ? t.segments.aucDrop : t.segments.approvalDrop;
    if (!rejected[i] || test.delta > -drop) return;
    const key = JSON.stringify(test.comparison.segment);
    const entry = worse.get(key) ?? { segment: test.comparison.segment };
    if (test.feature === AUC_DELTA) entry.deltaAuc = test.delta;
    else entry.approvalChangePp = 100 * test.delta;
    worse.set(key, entry);
  });
  // Largest segments first: the ones a promotion would hurt most.
  const volume = (w: WorseSegment) => tests.find((test) => test.comparison.segment === w.segment)?.comparison.nMatched ?? 0;
  return [...worse.values()].sort((a, b) => volume(b) - volume(a));
}

function verdictDetails(config: Config, c: ShadowComparison, worse: WorseSegment[]): ShadowFigures {
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);
  return {
    liveVersions: c.liveVersions,
    aucLive: c.auc?.aucLive,
    aucShadow: c.auc?.aucShadow,
    deltaAuc: c.auc?.deltaAuc,
    pValue: c.auc?.pValue,
    deltaAucSe: finite(c.auc?.se),
    eceLive: finite(c.eceLive),
    eceShadow: finite(c.eceShadow),
    latencyP50Live: finite(c.latencyP50Live),
    latencyP50Shadow: finite(c.latencyP50Shadow),
    latencyP99Live: finite(c.latencyP99Live),
    latencyP99Shadow: finite(c.latencyP99Shadow),
    latencyLogRatioSe: finite(c.latencyLogRatioSe),
    approvalRateLive: finite(c.approvalRateLive),
    approvalRateShadow: finite(c.approvalRateShadow),
    expectedApprovalChangePp: finite(c.expectedApprovalChangePp),
    meanScoreDelta: finite(c.meanScoreDelta),
    flipMatrix: c.flipMatrix,
    spearman: finite(c.spearman),
    nMatched: c.nMatched,
    nLabeled: c.nLabeled,
    nPositive: c.nPositive,
    worseSegments: worse.map((w) => ({ ...w, segment: segmentRecord(config, w.segment) })),
  };
}

function evaluation(config: Config, c: ShadowComparison, feature: string, value: number, n: number, details: ShadowDetails): Evaluation<ShadowDetails> {
  return {
    monitor: 'shadow',
    model: c.model,
    // The whole model is the empty segment, as approval_rate's mix evaluation has it.
    segment: c.segment.length > 0 ? segmentRecord(config, c.segment) : {},
    feature,
    value,
    threshold: 1,
    severity: 'ok',
    nCurrent: n,
    nReference: 0,
    shadowVersion: c.shadowVersion,
    details,
  };
}

/**
 * The verdict reads the longest current window, and every cycle takes it again: a sliding window renews 24h / its
 * length times a day (at least once), a window of fixed dates never.
 */
function looksOf(windows: CycleWindows): Looks {
  const longest = windows.currents.at(-1);
  if (!longest || longest.name === 'fixed') return { renewals: 0 };
  return { renewals: Math.max(1, 24 / windowHours(windows.current)) };
}

/** One shadow version: its verdict, the whole-model evaluation (critical when rejected) and per-segment ones. */
function judgeShadow(config: Config, overall: ShadowSegment, segments: ShadowSegment[], looks: Looks): { verdict: ShadowVerdict; evaluations: Evaluation<ShadowDetails>[] } {
  const t = config.monitors.shadow;
  const whole = compare(overall);
  const tests = segmentTests(segments.map(compare));
  const worse = worseSegments(tests, t);
  const { verdict, reasons } = decide(whole, worse, t, looks);
  const details = verdictDetails(config, whole, worse);
  const evaluations: Evaluation<ShadowDetails>[] = [];
  // No top-level p-value: the verdict's rules already control its false claims per day of cycles (verdict.ts), and
  // the verdict, its Slack message and its alert must say the same; the cycle's FDR must not overrule one of them.
  if (whole.auc) evaluations.push(evaluation(config, whole, AUC_DELTA, whole.auc.deltaAuc, whole.nLabeled, { verdict, reasons, ...details }));
  for (const test of tests) {
    const n = test.feature === AUC_DELTA ? test.comparison.nLabeled : test.comparison.nMatched;
    evaluations.push({ ...evaluation(config, test.comparison, test.feature, test.delta, n, {}), pValue: test.pValue });
  }
  const agreement = Number.isFinite(whole.agreement) ? whole.agreement : undefined;
  return { verdict: { model: whole.model, shadowVersion: whole.shadowVersion, verdict, reasons, ...(agreement !== undefined ? { agreement } : {}), details }, evaluations };
}

export const shadowMonitor: Monitor<ShadowDetails, 'shadow'> = {
  name: 'shadow',
  present: shadowPresentation,
  severityInput(config, e) {
    // The whole model's evaluation is the verdict: critical exactly when the shadow is rejected.
    if (Object.keys(e.segment).length === 0) return { magnitude: e.details?.verdict === 'reject' ? 1 : 0, levels: { warning: 1, critical: 1 } };
    // A segment worse under a shadow is worth a look, never a page: the shadow serves no one yet.
    const { aucDrop, approvalDrop } = config.monitors.shadow.segments;
    return { magnitude: -e.value, levels: { warning: e.feature === AUC_DELTA ? aucDrop : approvalDrop, critical: Infinity } };
  },
  enabled: (config) => config.monitors.shadow.enabled,
  async evaluate({ config, source, windows, models, at }) {
    const t = config.monitors.shadow;
    const rows = await source.shadow(
      windows,
      models,
      { calibrationBins: config.monitors.calibration.bins, segmentMinLabeled: t.segments.minLabeled, segmentMinMinority: t.segments.minMinority },
      at,
    );
    const shadow: ShadowVerdict[] = [];
    const evaluations: Evaluation<ShadowDetails>[] = [];
    const looks = looksOf(windows);
    for (const overall of rows.filter((row) => row.segment.length === 0)) {
      const segments = rows.filter((row) => row.segment.length > 0 && row.model === overall.model && row.shadowVersion === overall.shadowVersion);
      const judged = judgeShadow(config, overall, segments, looks);
      shadow.push(judged.verdict);
      evaluations.push(...judged.evaluations);
    }
    return { shadow, evaluations };
  },
};
