// How a cycle's evaluations and shadow verdicts become series of the per-segment and shadow gauges.
import type { CycleResult, Evaluation, ShadowVerdict, ShadowVerdictKind } from '../../monitors/types.js';
import { labelValue } from './labels.js';
import type { Candidate, Labels, Series } from './select.js';

/** Gauges rebuilt from scratch by every cycle: what they show is exactly the last good cycle. */
export const CYCLE_METRICS = [
  'driftwatch_psi',
  'driftwatch_calibration_ece',
  'driftwatch_approval_rate',
  'driftwatch_approval_rate_delta',
  'driftwatch_shadow_agreement',
  'driftwatch_shadow_auc',
  'driftwatch_shadow_verdict',
] as const;
export type CycleMetric = (typeof CYCLE_METRICS)[number];

/** Segment columns (keys of `Evaluation.segment`) and the label name each is exposed as. */
export interface SegmentLabeling {
  columns: readonly string[];
  labels: readonly string[];
}

const VERDICTS: readonly ShadowVerdictKind[] = ['promote', 'hold', 'reject'];

/** The candidate series of every per-cycle gauge; the cap (select.ts) decides which are shown. */
export function cycleCandidates(result: CycleResult, labeling: SegmentLabeling): Record<CycleMetric, Candidate[]> {
  const out = Object.fromEntries(CYCLE_METRICS.map((name) => [name, [] as Candidate[]])) as Record<CycleMetric, Candidate[]>;
  for (const evaluation of result.evaluations) {
    for (const [metric, series] of evaluationSeries(evaluation, labeling)) {
      if (series.length > 0) out[metric].push({ severity: evaluation.severity, volume: evaluation.nCurrent, series });
    }
  }
  for (const verdict of result.shadow) {
    for (const [metric, series] of shadowSeries(verdict)) {
      // A rejected shadow is the one worth seeing when there are too many to show.
      if (series.length > 0) out[metric].push({ severity: verdict.verdict === 'reject' ? 'critical' : 'ok', volume: 0, series });
    }
  }
  return out;
}

/**
 * The agreed mapping: psi → driftwatch_psi{feature}; calibration `ece` → driftwatch_calibration_ece;
 * approval_rate `delta` → driftwatch_approval_rate_delta, and its details.currentRate /
 * details.referenceRate → driftwatch_approval_rate{window}. Other evaluations have no gauge.
 */
function evaluationSeries(evaluation: Evaluation, labeling: SegmentLabeling): [CycleMetric, Series[]][] {
  const model = labelValue(evaluation.model);
  const segment = segmentLabels(evaluation, labeling);
  switch (evaluation.monitor) {
    case 'psi':
      return [['driftwatch_psi', point({ model, feature: labelValue(evaluation.feature), ...segment }, evaluation.value)]];
    case 'calibration':
      return evaluation.feature === 'ece' ? [['driftwatch_calibration_ece', point({ model, ...segment }, evaluation.value)]] : [];
    case 'approval_rate': {
      if (evaluation.feature !== 'delta') return [];
      const rates = [
        ...point({ model, ...segment, window: 'current' }, evaluation.details?.currentRate),
        ...point({ model, ...segment, window: 'reference' }, evaluation.details?.referenceRate),
      ];
      return [
        ['driftwatch_approval_rate_delta', point({ model, ...segment }, evaluation.value)],
        ['driftwatch_approval_rate', rates],
      ];
    }
    default:
      return [];
  }
}

function shadowSeries(verdict: ShadowVerdict): [CycleMetric, Series[]][] {
  const base = { model: labelValue(verdict.model), shadow_version: labelValue(verdict.shadowVersion) };
  return [
    ['driftwatch_shadow_agreement', point(base, verdict.agreement)],
    [
      'driftwatch_shadow_auc',
      [...point({ ...base, variant: 'live' }, verdict.details?.aucLive), ...point({ ...base, variant: 'shadow' }, verdict.details?.aucShadow)],
    ],
    // One series per possible verdict (1 for the current one) so a rule can test `== 1` and a change is a flip, not a gap.
    ['driftwatch_shadow_verdict', VERDICTS.map((kind) => ({ labels: { ...base, verdict: kind }, value: kind === verdict.verdict ? 1 : 0 }))],
  ];
}

function segmentLabels(evaluation: Evaluation, labeling: SegmentLabeling): Labels {
  const labels: Labels = {};
  labeling.columns.forEach((column, i) => {
    const value = evaluation.segment[column];
    labels[labeling.labels[i] ?? column] = labelValue(value == null ? '' : String(value));
  });
  return labels;
}

/** A series, or none when there is no number (NaN means "not computed": better absent than a fake value). */
function point(labels: Labels, value: unknown): Series[] {
  return typeof value === 'number' && !Number.isNaN(value) ? [{ labels, value }] : [];
}
