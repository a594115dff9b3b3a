// Pearson chi-square test that two binned samples share one distribution: PSI's significance test.
import { chiSquareSurvival } from './chi-square.js';
import { checkCounts, checkNonEmpty, checkSameLength, positiveTotal } from './validate.js';

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
}

/**
 * Chi-square test of homogeneity on the 2 × B table (reference row, current row), without continuity
 * correction (scipy's chi2_contingency(correction=False)). Bins empty in both windows carry no
 * information and would divide by a zero expected count, so they are dropped; df = non-empty bins − 1.
 * With a single non-empty bin the windows cannot differ: statistic 0, df 0, p-value 1.
 */
export function chiSquareHomogeneity(expectedCounts: readonly number[], actualCounts: readonly number[]): ChiSquareResult {
  const fn = 'chiSquareHomogeneity';
  checkSameLength(fn, 'expectedCounts', expectedCounts, 'actualCounts', actualCounts);
  checkNonEmpty(fn, 'expectedCounts', expectedCounts);
  checkCounts(fn, 'expectedCounts', expectedCounts);
  checkCounts(fn, 'actualCounts', actualCounts);
  const refTotal = positiveTotal(fn, 'expectedCounts', expectedCounts);
  const curTotal = positiveTotal(fn, 'actualCounts', actualCounts);
  const total = refTotal + curTotal;
  let statistic = 0;
  let nonEmpty = 0;
  for (let i = 0; i < expectedCounts.length; i++) {
    const ref = expectedCounts[i]!;
    const cur = actualCounts[i]!;
    const column = ref + cur;
    if (column === 0) continue;
    nonEmpty++;
    const refExpected = (refTotal * column) / total;
    const curExpected = (curTotal * column) / total;
    statistic += (ref - refExpected) ** 2 / refExpected + (cur - curExpected) ** 2 / curExpected;
  }
  const df = nonEmpty - 1;
  if (df === 0) return { statistic: 0, df: 0, pValue: 1 };
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}
