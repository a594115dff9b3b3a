// A PSI evaluation from binned counts: the statistic, its χ² test and its noise floor (the windows' and the sequential test's).
import { cellMidpoint, SCORE_GRID_CELLS, type BinnedSegment } from '../../aggregates/index.js';
import type { Config } from '../../config/index.js';
import type { Evaluation } from '../../core/types.js';
import { chiSquareHomogeneity, psiFromCounts, psiNoiseFloor } from '../../stats/index.js';
import { segmentRecord } from '../monitor.js';

/** The χ² test behind a PSI and the bins it was computed from. */
export interface PsiDetails {
  chiSquare: number;
  df: number;
  /** The PSI two samples of these sizes show without any drift (see stats/psi.ts). */
  noiseFloor: number;
  referenceBins: number[];
  currentBins: number[];
  /**
   * A categorical feature's "other" bin (values not among its stored categories, never-seen ones included): its
   * share of each window's events.
   */
  other?: { reference: number; current: number };
  /** The sequential test's finding: where its strongest span starts (ISO), and the span's ln likelihood ratio. */
  since?: string;
  logRatio?: number;
}

/** Bin of each cell of the score grid for configured edges: a cell goes where its midpoint falls. */
export function cellBinsForEdges(edges: readonly number[]): number[] {
  const sorted = [...edges].sort((a, b) => a - b);
  return Array.from({ length: SCORE_GRID_CELLS }, (_, cell) => sorted.filter((edge) => edge <= cellMidpoint(cell)).length);
}

/** A categorical feature's evaluation, with its "other" bin's (bin 0's) share in both windows. */
export function withOther(evaluation: Evaluation<PsiDetails> & { details: PsiDetails }): Evaluation<PsiDetails> & { details: PsiDetails } {
  const { referenceBins, currentBins } = evaluation.details;
  const share = (bins: number[], n: number) => (n > 0 ? (bins[0] ?? 0) / n : 0);
  return { ...evaluation, details: { ...evaluation.details, other: { reference: share(referenceBins, evaluation.nReference), current: share(currentBins, evaluation.nCurrent) } } };
}

export function evaluateBins(config: Config, row: BinnedSegment): Evaluation<PsiDetails> & { details: PsiDetails } {
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

