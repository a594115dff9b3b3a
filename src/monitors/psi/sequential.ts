// The score's sequential test: evidence of a sudden shift in a segment's score distribution, accumulated over the
// five-minute strips of the last hours and judged at a quarter's false-alarm horizon (docs/architecture.md,
// "Noticing in minutes"). The approval rate's test (monitors/approval/sequential.ts) with the reference's PSI bins
// in place of approved/declined.
import { EVERY_CELL, referenceCellBins, SCORE_GRID_CELLS, type AggregateSource, type BinnedSegment } from '../../aggregates/index.js';
import { volumeRule } from '../../aggregates/volume.js';
import type { Config } from '../../config/index.js';
import type { CycleWindows, Evaluation } from '../../core/types.js';
import { scanForChange, smoothedProportions } from '../../stats/index.js';
import { segmentKey, SEQUENTIAL_WINDOW, sequentialSpan, sinceOf } from '../sequential.js';
import { cellBinsForEdges, evaluateBins, type PsiDetails } from './bins.js';

/** Counts per bin of sparse cell counts. */
function binned(cells: readonly number[], counts: readonly number[], cellBins: readonly number[], bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  cells.forEach((cell, i) => {
    const bin = cellBins[cell] as number;
    out[bin] = (out[bin] as number) + (counts[i] as number);
  });
  return out;
}

/**
 * One evaluation per segment with scores in the lookback: the span ending at the current edge (on the five-minute
 * grid) whose score bins depart most from the reference's, its PSI and the test's p-value. The bins are the PSI
 * monitor's (reference deciles, or configured edges). Segments too small for minVolume are not judged.
 */
export async function sequentialScoreEvaluations(config: Config, source: AggregateSource, windows: CycleWindows, models: string[], at: Date): Promise<Evaluation<PsiDetails>[]> {
  const settings = config.monitors.psi.sequential;
  if (!settings.enabled || models.length === 0) return [];
  // Up to `at`: a window of fixed dates may end after it.
  const { span, starts } = sequentialSpan(new Date(Math.min(windows.current.to.getTime(), at.getTime())), settings.lookback);
  const { bins: quantileBins, edges } = config.monitors.psi;
  const bins = edges ? edges.length + 1 : quantileBins;
  const references = new Map<string, BinnedSegment>();
  for (const row of await source.scoreBins(windows, models, { bins: SCORE_GRID_CELLS, cellBins: EVERY_CELL })) references.set(segmentKey(row.model, row.segment), row);
  const rule = volumeRule(config, windows.reference);
  const out: Evaluation<PsiDetails>[] = [];
  for (const row of await source.scoreStrips(span, models, at)) {
    const reference = references.get(segmentKey(row.model, row.segment));
    if (!reference || reference.nReference < rule.reference) continue;
    const cellBins = edges ? cellBinsForEdges(edges) : referenceCellBins(reference.referenceBins, bins);
    const referenceBins = binned(EVERY_CELL, reference.referenceBins, cellBins, bins);
    const counts = row.strips.map((strip) => binned(strip.cells, strip.counts, cellBins, bins));
    const scan = scanForChange(counts, smoothedProportions(referenceBins), { starts });
    const n = scan.counts.reduce((sum, x) => sum + x, 0);
    if (n === 0) continue;
    // The span's PSI, χ² and noise floor as a window's; its p-value is the scan's, valid at every look.
    const judged = evaluateBins(config, { model: row.model, feature: 'score', segment: row.segment, nReference: reference.nReference, nCurrent: n, referenceBins, currentBins: scan.counts });
    out.push({ ...judged, window: SEQUENTIAL_WINDOW, pValue: scan.pValue, details: { ...judged.details, since: sinceOf(span, scan), logRatio: scan.logRatio } });
  }
  return out;
}
