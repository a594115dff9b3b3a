// Calibration error (ECE, MCE, Brier) of scores against 0/1 labels over uniform score bins, from rows or bin sums.
import { checkFinite, checkFiniteValue, checkInteger, checkLabels, checkNonEmpty, checkSameLength, rangeError } from './validate.js';

/** What the rollup keeps per score bin: enough to rebuild every calibration number without rows. */
export interface CalibrationBinSums {
  count: number;
  sumScore: number;
  sumLabel: number;
  /** Σ (score − label)² over the bin's rows; without it the Brier score is NaN. */
  sumSquaredError?: number;
}

/** One point of a reliability diagram: bin `[lo, hi)` (the last bin includes 1). */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** NaN when the bin is empty. */
  meanScore: number;
  /** NaN when the bin is empty. */
  meanLabel: number;
}

export interface CalibrationResult {
  /** Σ_b (n_b/N)·|meanScore_b − meanLabel_b| over non-empty bins. */
  ece: number;
  /** max_b |meanScore_b − meanLabel_b| over non-empty bins. */
  mce: number;
  /** mean (score − label)²; NaN from bin sums that lack sumSquaredError. */
  brier: number;
  /**
   * Always all B bins, in order, empty ones included with count 0 and NaN means: bins[k] is always
   * [k/B, (k+1)/B), so a reliability diagram gets a fixed axis and drops the NaN points itself.
   */
  bins: ReliabilityBin[];
}

export interface CalibrationOptions {
  /** Number of uniform bins B. Default 10. */
  bins?: number;
}

/**
 * Index of the bin [k/B, (k+1)/B) holding `score`, the edges k/B being the doubles `k / bins`: the k with
 * k/B ≤ score < (k+1)/B, a score of 1 in the last bin. floor(score·B) alone is off by one next to an edge
 * (0.57·100 = 56.999…), so it is only the first guess k0, corrected by one step against the edges around it.
 * The SQL of aggregates/calibration-bins.ts is this expression for expression (on scores in [0, 1]), so bin sums match rows.
 */
export function calibrationBin(score: number, bins: number): number {
  const k0 = Math.max(0, Math.min(bins - 1, Math.floor(score * bins)));
  const k = k0 + (score >= (k0 + 1) / bins ? 1 : 0) - (score < k0 / bins ? 1 : 0);
  return Math.max(0, Math.min(bins - 1, k));
}

/** ECE, MCE, Brier and the reliability diagram from per-bin sums; bins[k] is taken as [k/B, (k+1)/B). */
export function calibrationFromBins(bins: readonly CalibrationBinSums[]): CalibrationResult {
  const total = checkBinSums('calibrationFromBins', bins);
  const size = bins.length;
  let absGap = 0;
  let mce = 0;
  let squaredError = 0;
  const reliability = bins.map((bin, k): ReliabilityBin => {
    const lo = k / size;
    const hi = (k + 1) / size;
    if (bin.count === 0) return { lo, hi, count: 0, meanScore: NaN, meanLabel: NaN };
    const meanScore = bin.sumScore / bin.count;
    const meanLabel = bin.sumLabel / bin.count;
    absGap += Math.abs(bin.sumScore - bin.sumLabel);
    mce = Math.max(mce, Math.abs(meanScore - meanLabel));
    squaredError += bin.sumSquaredError ?? NaN;
    return { lo, hi, count: bin.count, meanScore, meanLabel };
  });
  return { ece: absGap / total, mce, brier: squaredError / total, bins: reliability };
}

/**
 * ECE, MCE, Brier and the reliability diagram of raw scores in [0, 1] against 0/1 labels.
 * Folds the rows into bin sums and delegates, so it agrees with calibrationFromBins by construction.
 */
export function calibrationError(
  scores: readonly number[],
  labels: readonly number[],
  opts: CalibrationOptions = {},
): CalibrationResult {
  const fn = 'calibrationError';
  const size = opts.bins ?? 10;
  checkInteger(fn, 'bins', size, 1);
  checkSameLength(fn, 'scores', scores, 'labels', labels);
  checkNonEmpty(fn, 'scores', scores);
  checkFinite(fn, 'scores', scores);
  checkLabels(fn, 'labels', labels);
  scores.forEach((score, i) => {
    if (score < 0 || score > 1) throw rangeError(fn, `scores[${i}] is ${score}, outside [0, 1]`);
  });
  const sums = Array.from({ length: size }, () => ({ count: 0, sumScore: 0, sumLabel: 0, sumSquaredError: 0 }));
  scores.forEach((score, i) => {
    const label = labels[i]!;
    const bin = sums[calibrationBin(score, size)]!;
    bin.count += 1;
    bin.sumScore += score;
    bin.sumLabel += label;
    bin.sumSquaredError += (score - label) ** 2;
  });
  return calibrationFromBins(sums);
}

/**
 * Validates bin sums and returns the total count. Each sum of values in [0, 1] lies in [0, count];
 * a small relative slack absorbs the rounding of sums computed elsewhere (ClickHouse).
 */
export function checkBinSums(fn: string, bins: readonly CalibrationBinSums[]): number {
  if (bins.length < 1) throw rangeError(fn, 'bins is empty; need at least 1 bin');
  let total = 0;
  bins.forEach((bin, k) => {
    checkFiniteValue(fn, `bins[${k}].count`, bin.count);
    if (bin.count < 0) throw rangeError(fn, `bins[${k}].count is ${bin.count}; counts must be ≥ 0`);
    const sums: [string, number | undefined][] = [
      ['sumScore', bin.sumScore],
      ['sumLabel', bin.sumLabel],
      ['sumSquaredError', bin.sumSquaredError],
    ];
    for (const [name, value] of sums) {
      if (value === undefined) continue;
      checkFiniteValue(fn, `bins[${k}].${name}`, value);
      if (value < 0 || value > bin.count * (1 + 1e-9)) {
        throw rangeError(fn, `bins[${k}].${name} is ${value}, outside [0, count = ${bin.count}]`);
      }
    }
    total += bin.count;
  });
  if (total === 0) throw rangeError(fn, 'every bin is empty (n = 0)');
  return total;
}
