// How calibration reads: `ece 0.101`, the driftwatch_calibration_ece gauge, and MCE and Brier beside ECE in history.
import { decimal, formatNumber } from '../../core/format.js';
import { evaluationGauge, numbers, SEGMENT_LABELS, type Presentation } from '../monitor.js';
import type { CalibrationDetails } from './index.js';

export const calibrationPresentation: Presentation<CalibrationDetails> = {
  headline: () => 'Calibration degraded',
  signal: () => 'calibration',
  measure: (e) => [{ bold: e.feature.toUpperCase() }, ` ${formatNumber(e.value)}`],
  threshold: (e) => formatNumber(e.threshold),
  report: (e) => ({ name: e.feature.toUpperCase(), value: decimal(e.value), threshold: String(e.threshold) }),
  gauges: [
    evaluationGauge<CalibrationDetails>(
      { name: 'driftwatch_calibration_ece', help: 'Expected calibration error of the score against issuer approval, per segment', labels: ['model', SEGMENT_LABELS] },
      (e) => (e.feature === 'ece' ? [{ labels: { model: e.model }, value: e.value }] : []),
    ),
  ],
  history: (e) => ({
    metric: e.feature,
    feature: '',
    derived: e.feature === 'ece' ? numbers([['mce', e.details?.mce], ['brier', e.details?.brier]]) : [],
  }),
};
