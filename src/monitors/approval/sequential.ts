// The approval rate's sequential test: evidence of a sudden change in a segment's approval rate, accumulated over the
// five-minute strips of the last hours and judged at a quarter's false-alarm horizon (docs/architecture.md,
// "Noticing in minutes").
import type { AggregateSource, LabelSegment } from '../../aggregates/index.js';
import { volumeRule } from '../../aggregates/volume.js';
import type { Config } from '../../config/index.js';
import type { CycleWindows, Evaluation } from '../../core/types.js';
import { scanForChange, smoothedProportions, wilsonInterval } from '../../stats/index.js';
import { segmentRecord } from '../monitor.js';
import { segmentKey, SEQUENTIAL_WINDOW, sequentialSpan, sinceOf } from '../sequential.js';
import type { ApprovalDetails } from './index.js';

/**
 * One evaluation per segment with labels in the lookback: the span ending at the matured edge (on the five-minute
 * grid) whose approvals
 * depart most from the reference rate, its rate and the test's p-value. Segments too small for minVolume (their
 * reference volume per 24 h) are not judged; no floor applies inside the span, since the test is exact.
 */
export async function sequentialEvaluations(config: Config, source: AggregateSource, windows: CycleWindows, models: string[], at: Date): Promise<Evaluation<ApprovalDetails>[]> {
  const settings = config.monitors.approval_rate.sequential;
  if (!settings.enabled || models.length === 0) return [];
  // Up to `at` less the maturity: a window of fixed dates may start (and so its matured end be) after it.
  const { span, starts } = sequentialSpan(new Date(Math.min(windows.matured.current.to.getTime(), at.getTime() - config.windows.maturity)), settings.lookback);
  const references = new Map<string, LabelSegment>();
  for (const row of await source.labels(windows, models, config.monitors.calibration.bins, at)) references.set(segmentKey(row.model, row.segment), row);
  const rule = volumeRule(config, windows.matured.reference);
  const out: Evaluation<ApprovalDetails>[] = [];
  for (const row of await source.labelStrips(span, models, at)) {
    const reference = references.get(segmentKey(row.model, row.segment))?.reference;
    if (!reference || reference.labeled < rule.reference) continue;
    const p0 = smoothedProportions([reference.approved, reference.labeled - reference.approved]);
    const counts = row.labeled.map((labeled, i) => [row.approved[i] as number, labeled - (row.approved[i] as number)]);
    const scan = scanForChange(counts, p0, { starts });
    const [approved = 0, declined = 0] = scan.counts;
    const n = approved + declined;
    if (n === 0) continue;
    const referenceRate = reference.approved / reference.labeled;
    const currentRate = approved / n;
    out.push({
      monitor: 'approval_rate',
      model: row.model,
      segment: segmentRecord(config, row.segment),
      feature: 'delta',
      window: SEQUENTIAL_WINDOW,
      value: currentRate - referenceRate,
      threshold: config.monitors.approval_rate.thresholds.warning,
      severity: 'ok',
      nCurrent: n,
      nReference: reference.labeled,
      pValue: scan.pValue,
      details: {
        currentRate,
        referenceRate,
        currentWilson: wilsonInterval(approved, n),
        referenceWilson: wilsonInterval(reference.approved, reference.labeled),
        since: sinceOf(span, scan),
        logRatio: scan.logRatio,
      },
    });
  }
  return out;
}
