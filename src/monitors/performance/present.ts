// How realized performance reads: `AUC −0.061 (0.842 → 0.781)`, its gauges, and AUC, log loss and Brier in history.
import { decimal, signed } from '../../core/format.js';
import { evaluationGauge, numbers, SEGMENT_LABELS, type Judged, type Presentation } from '../monitor.js';
import type { PerformanceDetails } from './index.js';

const isAuc = (e: Judged<PerformanceDetails>) => e.feature === 'auc';

/** The two windows' levels of the judged statistic: AUC or mean log loss. */
function levelsOf(e: Judged<PerformanceDetails>): [number | undefined, number | undefined] {
  const d = e.details;
  return isAuc(e) ? [d?.referenceAuc, d?.auc] : [d?.referenceLogLoss, d?.logLoss];
}

/** One gauge per statistic, the current and the reference window's level per segment (the longest window's). */
const levelGauge = (name: string, help: string, feature: string, pick: (d: PerformanceDetails) => [number, number]) =>
  evaluationGauge<PerformanceDetails>({ name, help, labels: ['model', SEGMENT_LABELS, 'window'] }, (e) => {
    if (e.feature !== feature || !e.details) return [];
    const [reference, current] = pick(e.details);
    return [
      { labels: { model: e.model, window: 'current' }, value: current },
      { labels: { model: e.model, window: 'reference' }, value: reference },
    ];
  });

export const performancePresentation: Presentation<PerformanceDetails> = {
  headline: (alerts) => (alerts.every(isAuc) ? 'Model ranks worse' : 'Model performance degraded'),
  // A lost AUC is the model's own ranking; a log loss rise says only that the probabilities fit the outcomes worse.
  signal: (e) => (isAuc(e) ? 'ranking' : 'fit'),
  measure(e) {
    const [before, after] = levelsOf(e);
    const name = isAuc(e) ? 'AUC' : 'Log loss';
    const shown = before !== undefined && after !== undefined ? [` (${decimal(before)} → ${decimal(after)})`] : [];
    return [{ bold: name }, ` ${signed(e.value, 3)}`, ...shown];
  },
  threshold: (e) => (isAuc(e) ? `−${decimal(e.threshold)}` : `+${decimal(e.threshold)}`),
  report: (e) => ({ name: isAuc(e) ? 'AUC change' : 'log loss change', value: signed(e.value, 3), threshold: isAuc(e) ? `−${decimal(e.threshold)}` : `+${decimal(e.threshold)}` }),
  gauges: [
    levelGauge('driftwatch_performance_auc', 'AUC of the live model on matured labels per segment, current or reference window', 'auc', (d) => [d.referenceAuc, d.auc]),
    levelGauge('driftwatch_performance_log_loss', 'Mean log loss of the live model on matured labels per segment, current or reference window', 'log_loss', (d) => [d.referenceLogLoss, d.logLoss]),
  ],
  history(e) {
    const d = e.details;
    if (isAuc(e)) {
      return { metric: 'auc_change', feature: '', derived: numbers([['auc', d?.auc], ['auc_reference', d?.referenceAuc], ['brier', d?.brier], ['brier_reference', d?.referenceBrier]]) };
    }
    return { metric: 'log_loss_change', feature: '', derived: numbers([['log_loss', d?.logLoss], ['log_loss_reference', d?.referenceLogLoss]]) };
  },
};
