// How a PSI reads: `PSI of score 0.31`, the driftwatch_psi gauge, and `psi` history rows with the feature beside them.
import { decimal, formatNumber, percent } from '../../core/format.js';
import { evaluationGauge, SEGMENT_LABELS, type Presentation } from '../monitor.js';
import { sinceWords } from '../sequential.js';
import type { PsiDetails } from './index.js';

/** A categorical feature's values outside its stored categories, when there are any: `; "other" 1.2% → 14.0%`. */
function otherWords(details: PsiDetails | undefined): string[] {
  const other = details?.other;
  if (!other || (other.reference === 0 && other.current === 0)) return [];
  return [`; "other" ${percent(other.reference)} → ${percent(other.current)}`];
}

export const psiPresentation: Presentation<PsiDetails> = {
  headline: (alerts) => (alerts.every((a) => a.feature === 'score') ? 'Score distribution shifted' : 'Input distribution shifted'),
  signal: (e) => (e.feature === 'score' ? 'score-shift' : 'input-shift'),
  measure: (e) => [{ bold: 'PSI' }, ' of ', { value: e.feature }, ` ${formatNumber(e.value)}`, ...otherWords(e.details), ...sinceWords(e.details)],
  threshold: (e) => formatNumber(e.threshold),
  report: (e) => ({ name: `PSI of ${e.feature}`, value: decimal(e.value), threshold: String(e.threshold) }),
  gauges: [
    evaluationGauge<PsiDetails>(
      {
        name: 'driftwatch_psi',
        help: 'Population Stability Index of the score or a feature, current vs reference window, per segment',
        labels: ['model', 'feature', SEGMENT_LABELS],
      },
      (e) => [{ labels: { model: e.model, feature: e.feature }, value: e.value }],
    ),
  ],
  history: (e) => ({ metric: 'psi', feature: e.feature, derived: [] }),
};
