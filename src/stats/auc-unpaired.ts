// Unpaired DeLong test of two AUCs (a live window against the reference window) from per-label score histograms.
/*
 * Input per sample: positives (label 1) and negatives (label 0) counted per cell of one ordered grid, e.g. the
 * rollup's 256-cell logit grid (aggregates/grid.ts). Every row in a cell is taken to carry the cell's tied
 * score, as in the shadow monitor's paired test (delong-histogram.ts, whose helpers this reuses), and DeLong's
 * structural components are then computed exactly:
 *   positive in cell g:  V10(g) = (negatives below g + ½ negatives in g) / n
 *   negative in cell g:  V01(g) = (positives above g + ½ positives in g) / m
 *   AUC = Σ_g P(g)·V10(g) / m;   Var(AUC) = S10/m + S01/n   (DeLong et al. 1988, eq. for one curve)
 * with S10, S01 the count-weighted sample variances (m − 1, n − 1) of V10 over positives and V01 over negatives.
 * The two windows hold different transactions, so Var(aucA − aucB) = varA + varB and z = (aucA − aucB)/√(varA + varB),
 * p two-sided from the normal. DeLong's variance is used rather than Hanley & McNeil's (1982): theirs takes Q1, Q2
 * from an exponential model of the scores, DeLong's from the observed placements, with no model.
 *
 * Agreement (test/stats/auc-unpaired.test.ts): R pROC 1.18.0 on raw rows at the cells' midpoints, 6e-16 relative
 * on AUCs and variances, 4e-14 on z, 3e-13 on the p-value against 2Φ(−|z|) of pROC's statistic. roc.test's own
 * unpaired p-value is a t's with Welch–Satterthwaite df, a little larger: 0.4527 against 0.4512 at n = 60,
 * 1.03e-5 against 9.72e-6 at z = 4.4 and n ≈ 1,000. Binning moves an AUC from its raw-score value by at most
 * ½ · the share of positive–negative pairs in the same cell (delong-histogram.ts).
 */
import { belowFraction, weightedMean } from './delong-histogram.js';
import { sampleVariance } from './delong.js';
import { twoSidedPValue } from './normal.js';
import { checkSameLength, rangeError } from './validate.js';

/** One sample's labelled rows counted per cell; positives[g] and negatives[g] are the same cell, cells in score order. */
export interface LabelHistogram {
  positives: ArrayLike<number>;
  negatives: ArrayLike<number>;
}

/** A sample's AUC and DeLong's variance of it. */
export interface HistogramAuc {
  /** NaN when the sample has no positives or no negatives. */
  auc: number;
  /** NaN when the sample has fewer than 2 positives or 2 negatives (the sample variances divide by m − 1, n − 1). */
  variance: number;
  nPositive: number;
  nNegative: number;
}

/** NaN propagates: an undefined AUC or variance in either sample makes delta (or se), z and pValue NaN. */
export interface UnpairedAucComparison {
  aucA: number;
  aucB: number;
  varianceA: number;
  varianceB: number;
  /** aucA − aucB. */
  delta: number;
  /** √(varianceA + varianceB). */
  se: number;
  /** delta / se; 0 when delta = se = 0, ±Infinity when only se = 0 (pROC: ±Inf, and NaN for 0/0). */
  z: number;
  /** Two-sided, 2Φ(−|z|): 1 when delta = se = 0, 0 when only se = 0. */
  pValue: number;
}

/** AUC of one sample (higher cell = more likely positive; rows of one cell tie, counting ½) and DeLong's variance. */
export function histogramAuc(histogram: LabelHistogram): HistogramAuc {
  return aucOf('histogramAuc', 'histogram', histogram);
}

/** AUCs of samples `a` and `b` over the same cells and the unpaired DeLong z-test of aucA − aucB. */
export function unpairedAucTest(a: LabelHistogram, b: LabelHistogram): UnpairedAucComparison {
  const fn = 'unpairedAucTest';
  checkSameLength(fn, 'a.positives', a.positives, 'b.positives', b.positives);
  const first = aucOf(fn, 'a', a);
  const second = aucOf(fn, 'b', b);
  const delta = first.auc - second.auc;
  const se = Math.sqrt(first.variance + second.variance);
  const common = { aucA: first.auc, aucB: second.auc, varianceA: first.variance, varianceB: second.variance, delta, se };
  if (Number.isNaN(delta) || Number.isNaN(se)) return { ...common, z: NaN, pValue: NaN };
  // Both variances 0: each AUC is 0, ½ or 1 with every placement equal. Equal AUCs show no difference.
  if (se === 0) return delta === 0 ? { ...common, z: 0, pValue: 1 } : { ...common, z: Math.sign(delta) * Infinity, pValue: 0 };
  const z = delta / se;
  return { ...common, z, pValue: twoSidedPValue(z) };
}

function aucOf(fn: string, name: string, histogram: LabelHistogram): HistogramAuc {
  checkSameLength(fn, `${name}.positives`, histogram.positives, `${name}.negatives`, histogram.negatives);
  if (histogram.positives.length === 0) throw rangeError(fn, `${name} has no cells`);
  const positives = readCounts(fn, `${name}.positives`, histogram.positives);
  const negatives = readCounts(fn, `${name}.negatives`, histogram.negatives);
  const m = positives.reduce((sum, count) => sum + count, 0);
  const n = negatives.reduce((sum, count) => sum + count, 0);
  if (m === 0 || n === 0) return { auc: NaN, variance: NaN, nPositive: m, nNegative: n };
  const v10 = belowFraction(negatives, n);
  const v01 = belowFraction(positives, m).map((f) => 1 - f);
  const variance =
    sampleVariance({ values: v10, weights: positives, total: m }) / m +
    sampleVariance({ values: v01, weights: negatives, total: n }) / n;
  return { auc: weightedMean(positives, v10, m), variance, nPositive: m, nNegative: n };
}

function readCounts(fn: string, name: string, counts: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(counts);
  out.forEach((count, g) => {
    if (!Number.isSafeInteger(count) || count < 0) throw rangeError(fn, `${name}[${g}] is ${count}; counts must be integers ≥ 0`);
  });
  return out;
}
