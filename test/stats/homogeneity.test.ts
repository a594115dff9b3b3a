import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity } from '../../src/stats/homogeneity.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: scipy.stats.chi2_contingency(correction=False) on the 2 × B table with bins empty in both
// windows dropped; tolerance 1e-9 relative.
interface HomogeneityCase {
  expected: number[];
  actual: number[];
  statistic: number;
  df: number;
  pValue: number;
}
const oracle = fixture<HomogeneityCase[]>('homogeneity');

describe('chiSquareHomogeneity', () => {
  it('matches scipy.stats.chi2_contingency to 1e-9 relative', () => {
    for (const { expected, actual, statistic, df, pValue } of oracle) {
      const result = chiSquareHomogeneity(expected, actual);
      expectClose(result.statistic, statistic, 1e-9, 1e-12);
      expect(result.df).toBe(df);
      expectClose(result.pValue, pValue);
    }
  });

  it('drops bins empty in both windows from df', () => {
    expect(chiSquareHomogeneity([5, 0, 5], [5, 0, 5])).toEqual({ statistic: 0, df: 1, pValue: 1 });
  });

  it('gives statistic 0, df 0, p 1 when only one bin has data', () => {
    expect(chiSquareHomogeneity([0, 7], [0, 3])).toEqual({ statistic: 0, df: 0, pValue: 1 });
  });

  it('rejects mismatched lengths, NaN, negative and all-zero counts', () => {
    expect(rangeErrorOf(() => chiSquareHomogeneity([1, 2], [1, 2, 3]))).toMatch(/same length/);
    expect(rangeErrorOf(() => chiSquareHomogeneity([], []))).toMatch(/empty/);
    expect(rangeErrorOf(() => chiSquareHomogeneity([NaN], [1]))).toMatch(/expectedCounts\[0\] is NaN/);
    expect(rangeErrorOf(() => chiSquareHomogeneity([1], [-1]))).toMatch(/actualCounts\[0\] is -1/);
    expect(rangeErrorOf(() => chiSquareHomogeneity([0, 0], [1, 2]))).toMatch(/expectedCounts counts are all zero/);
    expect(rangeErrorOf(() => chiSquareHomogeneity([1, 2], [0, 0]))).toMatch(/actualCounts counts are all zero/);
  });
});
