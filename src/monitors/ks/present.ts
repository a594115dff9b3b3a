// How a KS distance reads: `KS distance of score 0.14`, the driftwatch_ks_distance gauge, and `ks_distance` history rows.
import { decimal, formatNumber } from '../../core/format.js';
import { evaluationGauge, SEGMENT_LABELS, type Presentation } from '../monitor.js';
import type { KsDetails } from './index.js';

export const ksPresentation: Presentation<KsDetails> = {
  headline: () => 'Score distribution shifted (KS)',
  signal: (e) => (e.feature === 'score' ? 'score-shift' : 'input-shift'),
  measure: (e) => [{ bold: 'KS distance' }, ' of ', { value: e.feature }, ` ${formatNumber(e.value)}`],
  threshold: (e) => formatNumber(e.threshold),
  report: (e) => ({ name: `KS distance of ${e.feature}`, value: decimal(e.value), threshold: String(e.threshold) }),
  gauges: [
    evaluationGauge<KsDetails>(
      {
        name: 'driftwatch_ks_distance',
        help: 'Kolmogorov–Smirnov distance of the score, current vs reference window, per segment (monitors.ks)',
        labels: ['model', 'feature', SEGMENT_LABELS],
      },
      (e) => [{ labels: { model: e.model, feature: e.feature }, value: e.value }],
    ),
  ],
  history: (e) => ({ metric: 'ks_distance', feature: e.feature, derived: [] }),
};
