// Significance test for miscalibration from per-bin sums: a Hosmer–Lemeshow statistic on fixed score bins.
import { checkBinSums, type CalibrationBinSums } from './calibration.js';
import { chiSquareSurvival } from './chi-square.js';
import type { ChiSquareResult } from './homogeneity.js';

/**
 * HL = Σ_b (O_b − E_b)² / (E_b·(1 − E_b/n_b)) over non-empty bins, with E_b = Σ score (expected
 * approvals), O_b = Σ label (observed), n_b the bin's count; p-value from χ² with df = bins used.
 *
 * Why df = number of bins and not bins − 2: the model was not fitted on this data, and the bins are
 * fixed score intervals rather than deciles of this sample. Given the scores, under perfect calibration
 * each O_b − E_b is a sum of independent centred Bernoulli terms, so each standardised term is
 * approximately χ²₁ and they are independent: χ² with one df per bin. This is the external-validation
 * form in Hosmer & Lemeshow, Applied Logistic Regression (2nd ed., 2000, ch. 5, "Assessment of fit via
 * external validation"); the bins − 2 of the in-sample test pays for the fitted parameters.
 * The denominator uses the bin's mean score, E_b(1 − E_b/n_b) ≥ Σ p(1 − p), so the test errs on the
 * conservative side when scores within a bin differ.
 *
 * A bin whose denominator is 0 (all its scores exactly 0 or exactly 1) has no Bernoulli variance to
 * standardise by; it is skipped and does not count towards df. With no usable bin: statistic 0, df 0, p 1.
 */
export function calibrationTest(bins: readonly CalibrationBinSums[]): ChiSquareResult {
  checkBinSums('calibrationTest', bins);
  let statistic = 0;
  let df = 0;
  for (const bin of bins) {
    if (bin.count === 0) continue;
    const expected = bin.sumScore;
    const variance = expected * (1 - expected / bin.count);
    if (!(variance > 0)) continue;
    statistic += (bin.sumLabel - expected) ** 2 / variance;
    df++;
  }
  if (df === 0) return { statistic: 0, df: 0, pValue: 1 };
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}
