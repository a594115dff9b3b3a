// One experiment judged: the lift's confidence sequence, the sample-ratio test, the guardrails, and the verdict's reasons.
import type { ArmSegment } from '../../aggregates/index.js';
import { latencyQuantile } from '../../aggregates/latency-grid.js';
import type { Config } from '../../config/index.js';
import { count, percent, points, probability } from '../../core/format.js';
import type { ExperimentArm, ExperimentVerdict, ExperimentVerdictKind, GuardrailBreach, TimeWindow } from '../../core/types.js';
import { calibrationFromBins, unpairedAucTest } from '../../stats/index.js';
import { liftConfidenceSequence, sampleRatioTest, type LiftSequence, type SampleRatioTest } from '../../stats/confidence-sequence.js';
import { segmentRecord } from '../monitor.js';
import type { Experiment } from './detect.js';
import type { ExperimentSettings } from './settings.js';

/** What an experiment is judged over; `clamped` when its arms' shared run reaches back to the windows' start. */
export type Span = TimeWindow & { clamped: boolean };

interface ArmSums {
  events: number;
  labeled: number;
  approved: number;
  rows: ArmSegment[];
}

function sumArm(rows: ArmSegment[]): ArmSums {
  const sums: ArmSums = { events: 0, labeled: 0, approved: 0, rows };
  for (const r of rows) {
    sums.events += r.events;
    sums.labeled += r.labeled;
    sums.approved += r.approved;
  }
  return sums;
}

/** The arm's numbers: its approval rate, decision mix and latency, and its AUC and ECE on matured labels where they are defined. */
function armFigures(version: string, arm: ArmSums): ExperimentArm {
  const calibration = mergeCalibration(arm.rows);
  const calibrated = calibration.reduce((s, b) => s + b.count, 0);
  const ece = calibrated > 0 ? calibrationFromBins(calibration).ece : undefined;
  const decisions = [0, 1, 2, 3].map((i) => arm.rows.reduce((s, r) => s + (r.decisions[i] ?? 0), 0));
  const decided = decisions.reduce((s, x) => s + x, 0);
  const share = (i: number) => (decided > 0 ? (decisions[i] as number) / decided : NaN);
  const latency = new Map<number, number>();
  for (const r of arm.rows) r.latencyCells.forEach((cell, i) => latency.set(cell, (latency.get(cell) ?? 0) + (r.latencyCounts[i] ?? 0)));
  const [p50, p99] = [0.5, 0.99].map((q) => latencyQuantile([...latency.keys()], [...latency.values()], q));
  return {
    version,
    events: arm.events,
    labeled: arm.labeled,
    approved: arm.approved,
    approvalRate: arm.labeled > 0 ? arm.approved / arm.labeled : NaN,
    ...(ece !== undefined && Number.isFinite(ece) ? { ece } : {}),
    decisionMix: { approve: share(0), decline: share(1), review: share(2), other: share(3) },
    ...(Number.isFinite(p50) ? { latencyP50: p50 as number, latencyP99: p99 as number } : {}),
  };
}

function mergeCalibration(rows: ArmSegment[]) {
  const bins = rows[0]?.calibration.map(() => ({ count: 0, sumScore: 0, sumLabel: 0, sumSquaredError: 0 })) ?? [];
  for (const r of rows) {
    r.calibration.forEach((b, i) => {
      const t = bins[i];
      if (!t) return;
      t.count += b.count;
      t.sumScore += b.sumScore;
      t.sumLabel += b.sumLabel;
      t.sumSquaredError += b.sumSquaredError;
    });
  }
  return bins;
}

function histogram(rows: ArmSegment[]) {
  const positives = new Float64Array(rows[0]?.positives.length ?? 0);
  const negatives = new Float64Array(positives.length);
  for (const r of rows) {
    r.positives.forEach((x, i) => (positives[i] = (positives[i] as number) + x));
    r.negatives.forEach((x, i) => (negatives[i] = (negatives[i] as number) + x));
  }
  return { positives, negatives };
}

/**
 * Segments the treatment makes worse by more than the guardrail margin: each segment with minVolume labeled events in
 * both arms gets its own confidence sequence at α / (segments judged), so the guardrail's false alarms stay within α
 * (Bonferroni) however many segments there are; a breach is an interval wholly below −approvalDrop.
 */
function guardrails(config: Config, settings: ExperimentSettings, control: ArmSegment[], treatment: ArmSegment[], alpha: number): GuardrailBreach[] {
  const key = (r: ArmSegment) => JSON.stringify(r.segment);
  const byControl = new Map(control.map((r) => [key(r), r]));
  const pairs = treatment.flatMap((t) => {
    const c = byControl.get(key(t));
    return c && c.labeled >= config.minVolume && t.labeled >= config.minVolume ? [{ c, t }] : [];
  });
  const breaches: GuardrailBreach[] = [];
  for (const { c, t } of pairs) {
    const s = liftConfidenceSequence({ x: c.approved, n: c.labeled }, { x: t.approved, n: t.labeled }, { alpha: alpha / pairs.length, tau: settings.tau });
    if (s.hi < -settings.guardrail.approvalDrop) {
      breaches.push({ segment: segmentRecord(config, t.segment), lift: s.lift, lo: s.lo, hi: s.hi, nControl: c.labeled, nTreatment: t.labeled });
    }
  }
  // Largest segments first: the ones a ship would hurt most.
  return breaches.sort((a, b) => b.nControl + b.nTreatment - (a.nControl + a.nTreatment));
}

const interval = (s: LiftSequence) => `${points(s.lift)} [${points(s.lo)}, ${points(s.hi)}]`;
const segmentText = (segment: Record<string, string>) => Object.entries(segment).map(([k, v]) => `${k}=${v}`).join(' ');

/** The verdict and its reasons, in the order they matter: a broken allocation first, then harm, then a win. */
function decide(
  e: Experiment,
  settings: ExperimentSettings,
  arms: { control: ExperimentArm; treatment: ExperimentArm },
  lift: LiftSequence,
  srm: SampleRatioTest | undefined,
  breaches: GuardrailBreach[],
): { verdict: ExperimentVerdictKind; reasons: string[]; blocked?: 'srm' } {
  const { control, treatment } = arms;
  const rates = `${percent(treatment.approvalRate)} on ${treatment.version} against ${percent(control.approvalRate)} on ${control.version}`;
  const numbers = `approval lift ${interval(lift)} (${rates}; ${count(treatment.labeled)} and ${count(control.labeled)} labeled; always-valid p ${probability(lift.pValue)})`;
  const guardText = breaches.map((b) => `guardrail: approvals ${points(b.lift)} [${points(b.lo)}, ${points(b.hi)}] in ${segmentText(b.segment)}, beyond −${points(settings.guardrail.approvalDrop, { sign: false })}`);
  const blocked = srmBlock(e, settings, arms, srm);
  if (blocked) return { verdict: 'continue', blocked: 'srm', reasons: [blocked, numbers, ...guardText] };
  const notes = e.split ? [] : [`no declared split for ${e.model}: the allocation is not checked (monitors.experiments.declared)`];
  if (lift.hi < 0) return { verdict: 'rollback', reasons: [`approvals lower under ${treatment.version}: ${numbers}`, ...guardText, ...notes] };
  if (breaches.length > 0) return { verdict: 'rollback', reasons: [...guardText, numbers, ...notes] };
  const enough = Math.min(control.labeled, treatment.labeled) >= settings.minLabeled;
  if (lift.lo > 0 && enough) return { verdict: 'ship', reasons: [`approvals higher under ${treatment.version}: ${numbers}; no guardrail broken`, ...notes] };
  const why = lift.lo > 0 ? `fewer than ${count(settings.minLabeled)} labeled transactions in an arm` : 'the interval still holds 0';
  return { verdict: 'continue', reasons: [`not enough evidence yet (${why}): ${numbers}`, ...notes] };
}

/** The reason a failed sample-ratio test blocks the verdict, when it does. */
function srmBlock(e: Experiment, settings: ExperimentSettings, arms: { control: ExperimentArm; treatment: ExperimentArm }, srm: SampleRatioTest | undefined): string | undefined {
  if (!srm || !e.split || !(srm.pValue < settings.srmAlpha)) return undefined;
  const share = arms.treatment.events / (arms.treatment.events + arms.control.events);
  return `sample ratio mismatch: ${arms.treatment.version} got ${percent(share)} of the traffic against a declared ${percent(e.split.treatment)} (always-valid p ${probability(srm.pValue)}, χ² p ${probability(srm.chiSquarePValue)}); no verdict until the allocation is explained`;
}

/** Judges one experiment over `span` from the arms' rows (every segment of both versions). */
export function judgeExperiment(config: Config, settings: ExperimentSettings, e: Experiment, span: Span, rows: readonly ArmSegment[]): ExperimentVerdict {
  const controlRows = rows.filter((r) => r.model === e.model && r.version === e.control.version);
  const treatmentRows = rows.filter((r) => r.model === e.model && r.version === e.treatment.version);
  const c = sumArm(controlRows);
  const t = sumArm(treatmentRows);
  const arms = { control: armFigures(e.control.version, c), treatment: armFigures(e.treatment.version, t) };
  const base = { model: e.model, control: e.control.version, treatment: e.treatment.version, since: span.from.toISOString(), until: span.to.toISOString(), controlArm: arms.control, treatmentArm: arms.treatment };
  const srm = e.split && c.events + t.events > 0 ? sampleRatioTest([c.events, t.events], [e.split.control, e.split.treatment]) : undefined;
  const srmFields = { srmPValue: srm ? srm.pValue : null, ...(srm ? { srmChiSquarePValue: srm.chiSquarePValue } : {}), ...(e.split ? { split: e.split } : {}) };
  // Judged over the windows only: the anytime guarantee holds from the span's start, not from an earlier start.
  const clamped = span.clamped ? [`${e.treatment.version} has served beside ${e.control.version} since before ${span.from.toISOString()}: judged from there (the windows' start), so the interval covers that span, not the whole experiment`] : [];
  if (c.labeled === 0 || t.labeled === 0) {
    const reason = span.to <= span.from ? `started ${span.from.toISOString()}: no matured labels yet` : 'no labeled transactions in an arm yet';
    const blocked = srmBlock(e, settings, arms, srm);
    return { ...base, ...srmFields, verdict: 'continue', ...(blocked ? { blocked: 'srm' as const } : {}), reasons: [...(blocked ? [blocked] : []), reason, ...clamped], approvalLift: NaN, lo: NaN, hi: NaN, pValue: NaN, guardrails: [] };
  }
  // Several treatments of one model share α (Bonferroni): each interval at α / treatments.
  const alpha = settings.alpha / e.arms;
  const sequence = liftConfidenceSequence({ x: c.approved, n: c.labeled }, { x: t.approved, n: t.labeled }, { alpha, tau: settings.tau });
  // Bonferroni over the model's treatments, as the interval's α: p < α exactly when the interval excludes 0.
  const lift: LiftSequence = { ...sequence, pValue: Math.min(1, e.arms * sequence.pValue) };
  const breaches = guardrails(config, settings, controlRows, treatmentRows, alpha);
  const auc = unpairedAucTest(histogram(treatmentRows), histogram(controlRows));
  if (Number.isFinite(auc.aucA)) arms.treatment.auc = auc.aucA;
  if (Number.isFinite(auc.aucB)) arms.control.auc = auc.aucB;
  const { verdict, reasons, blocked } = decide(e, settings, arms, lift, srm, breaches);
  return {
    ...base,
    ...srmFields,
    verdict,
    reasons: [...reasons, ...clamped],
    ...(blocked ? { blocked } : {}),
    approvalLift: lift.lift,
    lo: lift.lo,
    hi: lift.hi,
    pValue: lift.pValue,
    ...(Number.isFinite(auc.pValue) ? { aucPValue: auc.pValue } : {}),
    guardrails: breaches,
  };
}
