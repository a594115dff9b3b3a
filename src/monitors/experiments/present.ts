// How an experiment reads: its gauges (verdict, lift and interval) and its history rows (the Grafana panel's lift over time).
import { formatNumber, points } from '../../core/format.js';
import type { CycleResult, ExperimentVerdict, ExperimentVerdictKind } from '../../core/types.js';
import type { GaugeEntry, GaugeSeries, HistoryValue, Presentation } from '../monitor.js';

const VERDICTS: readonly ExperimentVerdictKind[] = ['ship', 'continue', 'rollback'];
const VERDICT_VALUE: Record<ExperimentVerdictKind, number> = { ship: 1, continue: 0, rollback: -1 };

/** The series of one gauge per experiment: a rollback is the one worth seeing when there are too many to show. */
function experimentGauge(name: string, help: string, labels: string[], pick: (v: ExperimentVerdict, base: Record<string, string>) => GaugeSeries[]) {
  return {
    name,
    help,
    labels: ['model', 'control', 'treatment', ...labels],
    series: (_evaluations: unknown, result: CycleResult): GaugeEntry[] =>
      (result.experiments ?? []).map((v) => ({
        series: pick(v, { model: v.model, control: v.control, treatment: v.treatment }),
        severity: v.verdict === 'rollback' ? 'critical' : 'ok',
        volume: v.controlArm.labeled + v.treatmentArm.labeled,
      })),
  };
}

/**
 * History rows per experiment and cycle, `shadow_version` holding the treatment and `feature` the control: the lift
 * and its bounds (Grafana's lift-over-time panel), each arm's approval rate, the SRM p-value and the verdict.
 */
function experimentHistory(v: ExperimentVerdict): HistoryValue[] {
  const common = { model: v.model, shadow_version: v.treatment, feature: v.control };
  const rows: HistoryValue[] = [
    { ...common, metric: 'experiment_lift', value: v.approvalLift, p_value: v.pValue },
    { ...common, metric: 'experiment_lift_lo', value: v.lo },
    { ...common, metric: 'experiment_lift_hi', value: v.hi },
    { ...common, metric: 'experiment_approval_rate_control', value: v.controlArm.approvalRate },
    { ...common, metric: 'experiment_approval_rate_treatment', value: v.treatmentArm.approvalRate },
    { ...common, metric: 'experiment_verdict', value: VERDICT_VALUE[v.verdict], note: `${v.verdict}: ${v.reasons.join('; ')}` },
  ];
  if (v.srmPValue !== null) rows.push({ ...common, metric: 'experiment_srm_p_value', value: v.srmPValue });
  return rows;
}

/**
 * Experiments make no evaluations (their verdict has its own lifecycle and message, like a shadow's), so the words
 * below are for an evaluation a future guardrail alert would carry; the gauges and history rows are what show now.
 */
export const experimentsPresentation: Presentation = {
  headline: () => 'Experiment guardrail broken',
  signal: () => 'approval-down',
  measure: (e) => [`approval lift ${points(e.value)}`],
  threshold: (e) => formatNumber(e.threshold),
  report: (e) => ({ name: 'experiment approval lift', value: points(e.value), threshold: formatNumber(e.threshold) }),
  gauges: [
    experimentGauge('driftwatch_experiment_lift', 'Treatment − control approval rate since the experiment started, with its anytime-valid interval', ['bound'], (v, base) => [
      { labels: { ...base, bound: 'estimate' }, value: v.approvalLift },
      { labels: { ...base, bound: 'lo' }, value: v.lo },
      { labels: { ...base, bound: 'hi' }, value: v.hi },
    ]),
    experimentGauge('driftwatch_experiment_srm_p_value', 'Always-valid p-value of the allocation against the declared split', [], (v, base) => [{ labels: base, value: v.srmPValue ?? NaN }]),
    // One series per verdict (1 for the current one), as driftwatch_shadow_verdict: a rule tests `== 1`.
    experimentGauge('driftwatch_experiment_verdict', 'Verdict on an experiment: 1 for the current verdict, 0 for the others', ['verdict'], (v, base) =>
      VERDICTS.map((kind) => ({ labels: { ...base, verdict: kind }, value: kind === v.verdict ? 1 : 0 })),
    ),
  ],
  history: (e) => ({ metric: e.feature, feature: '', derived: [] }),
  cycleHistory: (result) => (result.experiments ?? []).flatMap(experimentHistory),
};
