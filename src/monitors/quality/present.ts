// How data quality reads: rates in percent, and the cycle's counts (rows, bad scores, …) as history rows.
import { formatNumber, percent } from '../../core/format.js';
import type { QualitySummary } from '../../core/types.js';
import { evaluationGauge, featureMeasure, numbers, type Presentation } from '../monitor.js';
import type { QualityDetails } from './index.js';

/** History metric of each count of the cycle's quality summary (model and segment empty). */
const COUNTS: [keyof QualitySummary, string][] = [
  ['rows', 'rows'],
  ['badScores', 'bad_scores'],
  ['missingOutcomes', 'missing_outcomes'],
  ['duplicates', 'duplicates'],
  ['nullScores', 'null_scores'],
  ['futureEvents', 'future_events'],
  ['orphanOutcomes', 'orphan_outcomes'],
];

export const qualityPresentation: Presentation<QualityDetails> = {
  headline: () => 'Data quality problem',
  signal: () => 'data-quality',
  measure: featureMeasure,
  threshold: (e) => formatNumber(e.threshold),
  report: (e) =>
    e.details?.empty
      ? { name: `no live events from ${e.details.empty.from} to ${e.details.empty.to} in ${e.details.empty.table}`, value: '0 rows', threshold: 'some' }
      : { name: e.feature.replace(/_/g, ' '), value: percent(e.value, 2), threshold: percent(e.threshold, 2) },
  gauges: [
    evaluationGauge<QualityDetails>(
      {
        name: 'driftwatch_quality_rate',
        help: 'Data quality per model in the current window: bad_score_rate, duplicate_rate, missing_outcome_rate, volume_drop (fractions)',
        labels: ['model', 'statistic'],
      },
      (e) => [{ labels: { model: e.model, statistic: e.feature }, value: e.value }],
    ),
  ],
  history: (e) => ({ metric: e.feature, feature: '', derived: [] }),
  cycleHistory: (result) => numbers(COUNTS.map(([key, metric]) => [metric, result.quality[key]])).map(([metric, value]) => ({ model: '', metric, value })),
};
