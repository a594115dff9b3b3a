// How a shadow comparison reads: its segment lines, the agreement/AUC/verdict gauges, and the verdict's history rows.
import { decimal, formatNumber } from '../../core/format.js';
import type { CycleResult, ShadowFigures, ShadowVerdict, ShadowVerdictKind } from '../../core/types.js';
import { featureMeasure, numbers, type GaugeEntry, type GaugeSeries, type HistoryValue, type Presentation } from '../monitor.js';
import type { ShadowDetails } from './index.js';

const VERDICTS: readonly ShadowVerdictKind[] = ['promote', 'hold', 'reject'];
const VERDICT_VALUE: Record<ShadowVerdictKind, number> = { promote: 1, hold: 0, reject: -1 };

/** Further shadow numbers kept for the Shadow vs live dashboard: history metric ← verdict figure. */
const FIGURES: [string, keyof ShadowFigures][] = [
  ['latency_p50_live', 'latencyP50Live'],
  ['latency_p50_shadow', 'latencyP50Shadow'],
  ['latency_p99_live', 'latencyP99Live'],
  ['latency_p99_shadow', 'latencyP99Shadow'],
  ['ece_live', 'eceLive'],
  ['ece_shadow', 'eceShadow'],
  ['approval_rate_live', 'approvalRateLive'],
  ['approval_rate_shadow', 'approvalRateShadow'],
  ['spearman', 'spearman'],
];

/** A gauge over the cycle's verdicts: a rejected shadow is the one worth seeing when there are too many to show. */
function verdictGauge(name: string, help: string, labels: string[], pick: (v: ShadowVerdict, base: Record<string, string>) => GaugeSeries[]) {
  return {
    name,
    help,
    labels: ['model', 'shadow_version', ...labels],
    series: (_evaluations: unknown, result: CycleResult): GaugeEntry[] =>
      result.shadow.map((v) => ({ series: pick(v, { model: v.model, shadow_version: v.shadowVersion }), severity: v.verdict === 'reject' ? 'critical' : 'ok', volume: 0 })),
  };
}

function verdictHistory(v: ShadowVerdict): HistoryValue[] {
  const d: Partial<ShadowFigures> = v.details ?? {};
  const common = { model: v.model, shadow_version: v.shadowVersion };
  const tested = numbers([['agreement', v.agreement], ['auc_live', d.aucLive], ['auc_shadow', d.aucShadow]]);
  return [
    ...tested.map(([metric, value]) => ({ ...common, metric, value, ...(metric !== 'agreement' && d.pValue !== undefined ? { p_value: d.pValue } : {}) })),
    ...numbers(FIGURES.map(([metric, key]) => [metric, d[key]])).map(([metric, value]) => ({ ...common, metric, value })),
    { ...common, metric: 'verdict', feature: v.verdict, value: VERDICT_VALUE[v.verdict] ?? NaN, note: v.reasons.join('; ') },
  ];
}

export const shadowPresentation: Presentation<ShadowDetails> = {
  headline: () => 'Shadow model diverged',
  signal: () => 'shadow',
  measure: featureMeasure,
  threshold: (e) => formatNumber(e.threshold),
  report: (e) => ({ name: `shadow ${e.feature}`, value: decimal(e.value), threshold: String(e.threshold) }),
  gauges: [
    verdictGauge('driftwatch_shadow_agreement', 'Share of transactions where the shadow model made the same decision as live', [], (v, base) => [{ labels: base, value: v.agreement }]),
    verdictGauge('driftwatch_shadow_auc', 'AUC on matured outcomes of the live and the shadow model, on the transactions both scored', ['variant'], (v, base) => [
      { labels: { ...base, variant: 'live' }, value: v.details?.aucLive },
      { labels: { ...base, variant: 'shadow' }, value: v.details?.aucShadow },
    ]),
    // One series per possible verdict (1 for the current one) so a rule can test `== 1` and a change is a flip, not a gap.
    verdictGauge('driftwatch_shadow_verdict', 'Verdict on a shadow model: 1 for the current verdict, 0 for the others', ['verdict'], (v, base) =>
      VERDICTS.map((kind) => ({ labels: { ...base, verdict: kind }, value: kind === v.verdict ? 1 : 0 })),
    ),
  ],
  history: (e) => ({ metric: e.feature, feature: '', derived: [] }),
  cycleHistory: (result) => result.shadow.flatMap(verdictHistory),
};
