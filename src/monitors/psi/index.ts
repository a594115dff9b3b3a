// PSI of the score and of configured features, per segment, reference vs current window.
import { cellMidpoint, SCORE_GRID_CELLS, type BinnedSegment, type FeatureEdges } from '../../aggregates/index.js';
import type { Config } from '../../config/index.js';
import type { Evaluation } from '../../core/types.js';
import { chiSquareHomogeneity, psiFromCounts, psiNoiseFloor } from '../../stats/index.js';
import { judgeEachWindow, segmentRecord, type Monitor, type MonitorContext } from '../monitor.js';
import { psiPresentation } from './present.js';
import { sequentialScoreEvaluations } from './sequential.js';

/** The χ² test behind a PSI and the bins it was computed from. */
export interface PsiDetails {
  chiSquare: number;
  df: number;
  /** The PSI two samples of these sizes show without any drift (see stats/psi.ts). */
  noiseFloor: number;
  referenceBins: number[];
  currentBins: number[];
  /** The sequential test's finding: where its strongest span starts (ISO), and the span's ln likelihood ratio. */
  since?: string;
  logRatio?: number;
}

/** Bin of each cell of the score grid for configured edges: a cell goes where its midpoint falls. */
export function cellBinsForEdges(edges: readonly number[]): number[] {
  const sorted = [...edges].sort((a, b) => a - b);
  return Array.from({ length: SCORE_GRID_CELLS }, (_, cell) => sorted.filter((edge) => edge <= cellMidpoint(cell)).length);
}

function evaluateBins(config: Config, row: BinnedSegment): Evaluation<PsiDetails> {
  const { epsilon } = config.monitors.psi;
  const psi = psiFromCounts(row.referenceBins, row.currentBins, { epsilon });
  const test = chiSquareHomogeneity(row.referenceBins, row.currentBins);
  const usedBins = row.referenceBins.filter((n, i) => n > 0 || (row.currentBins[i] ?? 0) > 0).length;
  return {
    monitor: 'psi',
    model: row.model,
    segment: segmentRecord(config, row.segment),
    feature: row.feature,
    value: psi,
    threshold: config.monitors.psi.thresholds.warning,
    severity: 'ok',
    nCurrent: row.nCurrent,
    nReference: row.nReference,
    pValue: test.pValue,
    details: {
      chiSquare: test.statistic,
      df: test.df,
      noiseFloor: psiNoiseFloor(Math.max(usedBins, 2), row.nReference, row.nCurrent),
      referenceBins: row.referenceBins,
      currentBins: row.currentBins,
    },
  };
}

/** Feature bins are learned once from a reference and kept by the seam, so they never chase the data they judge. */
function featureEdges({ config, source, windows, models }: MonitorContext): Promise<FeatureEdges[]> {
  return config.features.length === 0 ? Promise.resolve([]) : source.featureEdges(windows.reference, models, config.features);
}

export const psiMonitor: Monitor<PsiDetails, 'psi'> = {
  name: 'psi',
  present: psiPresentation,
  severityInput: (config, e) => ({ magnitude: e.value, levels: config.monitors.psi.thresholds }),
  enabled: (config) => config.monitors.psi.enabled,
  async evaluate(context) {
    const { config, source, windows, models } = context;
    const { bins, edges } = config.monitors.psi;
    const featureBins = await featureEdges(context);
    const evaluations = await judgeEachWindow(windows, async (one) => {
      const scoreRows = await source.scoreBins(one, models, { bins: edges ? edges.length + 1 : bins, cellBins: edges ? cellBinsForEdges(edges) : [] });
      const featureRows = await source.featureBins(one, featureBins);
      return [...scoreRows, ...featureRows].map((row) => evaluateBins(config, row));
    });
    evaluations.push(...(await sequentialScoreEvaluations(config, source, windows, models, context.at)));
    return { evaluations };
  },
};
