// Approval rate per segment (two-proportion z-test, Wilson intervals) and the mix-vs-rate decomposition per model.
import type { LabelSegment } from '../../aggregates/index.js';
import type { Config } from '../../config/index.js';
import type { ApprovalDecomposition, Evaluation } from '../../core/types.js';
import { twoProportionZTest, wilsonInterval } from '../../stats/index.js';
import { judgeEachWindow, segmentRecord, type Monitor } from '../monitor.js';
import { approvalPresentation } from './present.js';
import { sequentialEvaluations } from './sequential.js';

export type { ApprovalDecomposition };

/** A segment's rates with their 95 % Wilson intervals (`delta`), or a model's overall change split (`mix`). */
export interface ApprovalDetails {
  currentRate: number;
  referenceRate: number;
  z?: number;
  currentWilson?: { lo: number; hi: number };
  referenceWilson?: { lo: number; hi: number };
  change?: number;
  rate?: number;
  mix?: number;
  /** Sequential findings (window `sequential`): where the strongest span starts, and its ln likelihood ratio. */
  since?: string;
  logRatio?: number;
}

function evaluateSegment(config: Config, row: LabelSegment): Evaluation<ApprovalDetails> | undefined {
  const ref = row.reference;
  const cur = row.current;
  // The seam judged the segment's volume (minVolume, src/aggregates/volume.ts).
  if (!row.enough.rate) return undefined;
  const referenceRate = ref.approved / ref.labeled;
  const currentRate = cur.approved / cur.labeled;
  const test = twoProportionZTest(cur.approved, cur.labeled, ref.approved, ref.labeled);
  return {
    monitor: 'approval_rate',
    model: row.model,
    segment: segmentRecord(config, row.segment),
    feature: 'delta',
    value: currentRate - referenceRate,
    threshold: config.monitors.approval_rate.thresholds.warning,
    severity: 'ok',
    nCurrent: cur.labeled,
    nReference: ref.labeled,
    pValue: test.pValue,
    details: {
      currentRate,
      referenceRate,
      z: test.z,
      currentWilson: wilsonInterval(cur.approved, cur.labeled),
      referenceWilson: wilsonInterval(ref.approved, ref.labeled),
    },
  };
}

/** Exact split of the overall change: change = mix + rate. */
export function decompose(model: string, rows: LabelSegment[]): ApprovalDecomposition | undefined {
  const nRef = rows.reduce((s, r) => s + r.reference.labeled, 0);
  const nCur = rows.reduce((s, r) => s + r.current.labeled, 0);
  if (nRef === 0 || nCur === 0) return undefined;
  const xRef = rows.reduce((s, r) => s + r.reference.approved, 0);
  const xCur = rows.reduce((s, r) => s + r.current.approved, 0);
  const referenceRate = xRef / nRef;
  const currentRate = xCur / nCur;
  let rate = 0;
  for (const r of rows) {
    if (r.reference.labeled === 0 || r.current.labeled === 0) continue;
    const weight = r.current.labeled / nCur;
    rate += weight * (r.current.approved / r.current.labeled - r.reference.approved / r.reference.labeled);
  }
  const change = currentRate - referenceRate;
  const { pValue } = twoProportionZTest(xCur, nCur, xRef, nRef);
  return { model, referenceRate, currentRate, change, mix: change - rate, rate, nReference: nRef, nCurrent: nCur, pValue };
}

function mixEvaluation(config: Config, d: ApprovalDecomposition): Evaluation<ApprovalDetails> {
  return {
    monitor: 'approval_rate',
    model: d.model,
    segment: {},
    feature: 'mix',
    value: d.mix,
    threshold: config.monitors.approval_rate.mix.warning,
    severity: 'ok',
    nCurrent: d.nCurrent,
    nReference: d.nReference,
    pValue: d.pValue,
    details: { currentRate: d.currentRate, referenceRate: d.referenceRate, change: d.change, rate: d.rate, mix: d.mix },
  };
}

export const approvalMonitor: Monitor<ApprovalDetails, 'approval_rate'> = {
  name: 'approval_rate',
  present: approvalPresentation,
  severityInput: (config, e) => ({
    magnitude: Math.abs(e.value),
    levels: e.feature === 'mix' ? config.monitors.approval_rate.mix : config.monitors.approval_rate.thresholds,
  }),
  enabled: (config) => config.monitors.approval_rate.enabled,
  async evaluate({ config, source, windows, models, at }) {
    const evaluations = await judgeEachWindow(windows, async (one) => {
      const rows = await source.labels(one, models, config.monitors.calibration.bins, at);
      return rows.flatMap((row) => evaluateSegment(config, row) ?? []);
    });
    evaluations.push(...(await sequentialEvaluations(config, source, windows, models, at)));
    // The model-wide split of the change is the longest window's: a mix of traffic is a slow story.
    const rows = await source.labels(windows, models, config.monitors.calibration.bins, at);
    const approval: ApprovalDecomposition[] = [];
    for (const model of models) {
      const decomposition = decompose(
        model,
        rows.filter((r) => r.model === model),
      );
      if (!decomposition) continue;
      approval.push(decomposition);
      const mix = mixEvaluation(config, decomposition);
      evaluations.push(windows.currents.length > 1 ? { ...mix, window: windows.currents[windows.currents.length - 1]?.name } : mix);
    }
    return { evaluations, approval };
  },
};
