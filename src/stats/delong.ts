// Paired DeLong test of two scores' AUCs on the same labelled transactions (live vs shadow), O(n log n).
import { twoSidedPValue } from './normal.js';
import { midranks } from './ranks.js';
import { checkFinite, checkLabels, checkNonEmpty, checkSameLength, rangeError } from './validate.js';

export interface AucComparison {
  aucA: number;
  aucB: number;
  /** (aucA − aucB)/se; 0 when se = 0. */
  z: number;
  /** Two-sided; 1 when se = 0. */
  pValue: number;
}

/**
 * AUCs of `scoresA` and `scoresB` (higher = more likely label 1; ties count ½) and DeLong et al.
 * (1988)'s test of their difference, via Sun & Xu (2014)'s midrank algorithm: for a positive i,
 * V10ᵢ = (rank among all − rank among positives)/n is the fraction of negatives below it (ties ½);
 * for a negative j, V01ⱼ = 1 − (rank among all − rank among negatives)/m. Var(aucA − aucB) is
 * S10/m + S01/n with S the sample variances (m − 1, n − 1) of the paired placement differences.
 * Identical scores give se = 0: z = 0, p-value = 1. Needs at least 2 rows of each label (RangeError otherwise).
 */
export function aucWithDeLong(
  scoresA: readonly number[],
  scoresB: readonly number[],
  labels: readonly number[],
): AucComparison {
  const fn = 'aucWithDeLong';
  checkSameLength(fn, 'scoresA', scoresA, 'labels', labels);
  checkSameLength(fn, 'scoresB', scoresB, 'labels', labels);
  checkNonEmpty(fn, 'labels', labels);
  checkFinite(fn, 'scoresA', scoresA);
  checkFinite(fn, 'scoresB', scoresB);
  checkLabels(fn, 'labels', labels);
  const positives: number[] = [];
  const negatives: number[] = [];
  labels.forEach((label, i) => (label === 1 ? positives : negatives).push(i));
  checkClassSizes(fn, positives.length, negatives.length);
  const a = placements(scoresA, positives, negatives);
  const b = placements(scoresB, positives, negatives);
  return compareAucs(
    a.auc,
    b.auc,
    { values: a.v10.map((v, i) => v - b.v10[i]!), total: positives.length },
    { values: a.v01.map((v, j) => v - b.v01[j]!), total: negatives.length },
  );
}

/** Placement values of one score vector (Sun & Xu 2014, with midranks for ties). */
function placements(scores: readonly number[], positives: readonly number[], negatives: readonly number[]) {
  const m = positives.length;
  const n = negatives.length;
  const x = positives.map((i) => scores[i]!);
  const y = negatives.map((j) => scores[j]!);
  const rx = midranks(x);
  const ry = midranks(y);
  const rz = midranks([...x, ...y]);
  const v10 = rx.map((r, i) => (rz[i]! - r) / n);
  const v01 = ry.map((r, j) => 1 - (rz[m + j]! - r) / m);
  const auc = v10.reduce((sum, v) => sum + v, 0) / m;
  return { auc, v10, v01 };
}

/** Placement differences of one class: values (optionally weighted by counts) and their total weight. */
export interface PlacementDifferences {
  values: ArrayLike<number>;
  /** Rows per value; each value is one row when absent. */
  weights?: ArrayLike<number>;
  total: number;
}

/** z and p-value from the two AUCs and the placement differences of positives (D10) and negatives (D01). */
export function compareAucs(aucA: number, aucB: number, d10: PlacementDifferences, d01: PlacementDifferences): AucComparison {
  const variance = sampleVariance(d10) / d10.total + sampleVariance(d01) / d01.total;
  const se = Math.sqrt(variance);
  if (!(se > 0)) return { aucA, aucB, z: 0, pValue: 1 };
  const z = (aucA - aucB) / se;
  return { aucA, aucB, z, pValue: twoSidedPValue(z) };
}

/** Weighted sample variance with the total − 1 denominator, in two passes for accuracy (NaN when total is 1). */
export function sampleVariance({ values, weights, total }: PlacementDifferences): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (weights?.[i] ?? 1) * values[i]!;
  const mean = sum / total;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (weights?.[i] ?? 1) * (values[i]! - mean) ** 2;
  return squares / (total - 1);
}

/** Both classes present, and at least two of each: DeLong's sample variances divide by m − 1 and n − 1. */
export function checkClassSizes(fn: string, m: number, n: number): void {
  if (m === 0 || n === 0) {
    throw rangeError(fn, `labels are of one class only (${m} positives, ${n} negatives); AUC needs both`);
  }
  if (m < 2 || n < 2) {
    throw rangeError(fn, `DeLong's variance needs at least 2 positives and 2 negatives (got ${m} and ${n})`);
  }
}
