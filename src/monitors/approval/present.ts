// How an approval-rate change reads: in percentage points with the two rates, its two gauges, and its history rows.
import { percentText, points, pp } from '../../core/format.js';
import type { ApprovalDecomposition } from '../../core/types.js';
import { evaluationGauge, numbers, SEGMENT_LABELS, type HistoryValue, type Presentation } from '../monitor.js';
import { sinceWords } from '../sequential.js';
import type { ApprovalDetails } from './index.js';

/** History metrics of a model's overall change (`overall_<key>`), in the decomposition's own order. */
const OVERALL: [string, keyof ApprovalDecomposition][] = [
  ['overall_reference_rate', 'referenceRate'],
  ['overall_current_rate', 'currentRate'],
  ['overall_change', 'change'],
  ['overall_mix', 'mix'],
  ['overall_rate', 'rate'],
  ['overall_n_reference', 'nReference'],
  ['overall_n_current', 'nCurrent'],
  ['overall_p_value', 'pValue'],
];

export const approvalPresentation: Presentation<ApprovalDetails> = {
  headline(alerts) {
    const up = alerts.filter((a) => a.value > 0).length;
    const down = alerts.filter((a) => a.value < 0).length;
    return down > 0 && up === 0 ? 'Approval rate dropped' : up > 0 && down === 0 ? 'Approval rate rose' : 'Approval rate changed';
  },
  signal: (e) => (e.value < 0 ? 'approval-down' : 'approval-up'),
  measure(e) {
    const [before, after] = [percentText(e.details?.referenceRate), percentText(e.details?.currentRate)];
    return [{ bold: 'Approval rate' }, ` ${pp(e.value)}`, ...(before && after ? [` (${before} → ${after})`] : []), ...sinceWords(e.details)];
  },
  threshold: (e) => `±${Math.abs(e.threshold * 100).toFixed(1)} pp`,
  report: (e) => ({
    name: e.feature === 'mix' ? 'approval-rate change from traffic mix' : 'approval-rate change',
    value: points(e.value),
    threshold: `±${points(e.threshold, { sign: false })}`,
  }),
  gauges: [
    evaluationGauge<ApprovalDetails>(
      { name: 'driftwatch_approval_rate', help: 'Issuer approval rate per segment in the current or reference window', labels: ['model', SEGMENT_LABELS, 'window'] },
      (e) =>
        e.feature === 'delta'
          ? [
              { labels: { model: e.model, window: 'current' }, value: e.details?.currentRate },
              { labels: { model: e.model, window: 'reference' }, value: e.details?.referenceRate },
            ]
          : [],
    ),
    evaluationGauge<ApprovalDetails>(
      { name: 'driftwatch_approval_rate_delta', help: 'Approval rate change, current minus reference, per segment', labels: ['model', SEGMENT_LABELS] },
      (e) => (e.feature === 'delta' ? [{ labels: { model: e.model }, value: e.value }] : []),
    ),
  ],
  history(e) {
    if (e.feature !== 'delta') return { metric: e.feature, feature: '', derived: [] };
    const d = e.details;
    return {
      metric: 'approval_delta',
      feature: '',
      derived: numbers([
        ['approval_rate_current', d?.currentRate],
        ['approval_rate_reference', d?.referenceRate],
        ['wilson_lo', d?.currentWilson?.lo],
        ['wilson_hi', d?.currentWilson?.hi],
      ]),
    };
  },
  cycleHistory: (result) =>
    (result.approval ?? []).flatMap((d): HistoryValue[] => numbers(OVERALL.map(([metric, key]) => [metric, d[key]])).map(([metric, value]) => ({ model: d.model, metric, value }))),
};
