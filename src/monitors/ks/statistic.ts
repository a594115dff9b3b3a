// The two-sample Kolmogorov–Smirnov test on two histograms over the same ordered cells.
import { checkCounts, checkSameLength, positiveTotal } from '../../stats/validate.js';

export interface KsResult {
  /** Largest gap between the two cumulative distributions, at a cell boundary: in [0, 1]. */
  statistic: number;
  /** n·m / (n + m): the sample size the limiting distribution is scaled by. */
  effectiveN: number;
  /** Asymptotic two-sided p-value, Q_KS(√effectiveN · statistic). */
  pValue: number;
}

/**
 * Kolmogorov's limiting survival function Q(λ) = 1 − K(λ) (Kolmogorov 1933; Smirnov 1948 for two samples),
 * scipy's `kstwobign.sf`. Two series, each where it converges in a few terms: for λ ≥ 1,
 * Q = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}; below, K = (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return NaN;
  if (lambda <= 0) return 1;
  let sum = 0;
  if (lambda >= 1) {
    for (let k = 1; k <= 100; k++) {
      const term = Math.exp(-2 * k * k * lambda * lambda);
      sum += k % 2 === 1 ? term : -term;
      if (term < 1e-17 * sum) break;
    }
    return Math.min(1, Math.max(0, 2 * sum));
  }
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * lambda * lambda));
    sum += term;
    if (term < 1e-17 * sum || term === 0) break;
  }
  return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
}

/**
 * KS between a reference and a current histogram over the same cells (in order). The statistic is the one
 * `scipy.stats.ks_2samp` gives for the samples with every value at its cell (a gap can only open at a cell
 * boundary); against raw scores it is at most one cell's mass smaller. With the scores binned, many values tie,
 * which makes the asymptotic p-value conservative: binning can hide a drift, never invent one.
 */
export function ksFromCounts(referenceCounts: readonly number[], currentCounts: readonly number[]): KsResult {
  const fn = 'ksFromCounts';
  checkSameLength(fn, 'referenceCounts', referenceCounts, 'currentCounts', currentCounts);
  checkCounts(fn, 'referenceCounts', referenceCounts);
  checkCounts(fn, 'currentCounts', currentCounts);
  const n = positiveTotal(fn, 'referenceCounts', referenceCounts);
  const m = positiveTotal(fn, 'currentCounts', currentCounts);
  let ref = 0;
  let cur = 0;
  let statistic = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    ref += referenceCounts[i]!;
    cur += currentCounts[i]!;
    statistic = Math.max(statistic, Math.abs(ref / n - cur / m));
  }
  const effectiveN = (n * m) / (n + m);
  return { statistic, effectiveN, pValue: kolmogorovSurvival(Math.sqrt(effectiveN) * statistic) };
}
