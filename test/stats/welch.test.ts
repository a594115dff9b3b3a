import { describe, expect, it } from 'vitest';
import { normalCdf, welchMeanDifference } from '../../src/stats/index.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: test/fixtures/stats/make_fixtures.py, welch(): per-event log losses in numpy, Welch's statistic by
// scipy.stats.ttest_ind(b, a, equal_var=False), the performance monitor's one-sided p-value by scipy.stats.norm.sf.
// Tolerance 1e-9 relative: the variance from running sums (Σx² − n·mean²) loses a few digits the two-pass one keeps.
interface Sums {
  n: number;
  sum: number;
  sumSquares: number;
}
const { cases } = fixture<{ cases: { a: Sums; b: Sums; delta: number; z: number; pWorse: number }[] }>('welch');

describe('welchMeanDifference', () => {
  it('matches scipy on log losses of windows from 35 to 100,000 events, clean and degraded', () => {
    expect(cases.length).toBeGreaterThanOrEqual(6);
    for (const c of cases) {
      const result = welchMeanDifference(c.a, c.b);
      expectClose(result.delta, c.delta, 1e-9, 1e-15);
      expectClose(result.z, c.z, 1e-9, 1e-12);
      // The monitor's one-sided p-value of a worse (higher) loss.
      expectClose(normalCdf(-result.z), c.pWorse, 1e-9, 1e-300);
    }
    expect(cases.some((c) => c.pWorse < 1e-10)).toBe(true);
    expect(cases.some((c) => c.pWorse > 0.05)).toBe(true);
  });

  it('gives ±Infinity for a change between constant samples, 0 for none, NaN with a single value', () => {
    expect(welchMeanDifference({ n: 3, sum: 3, sumSquares: 3 }, { n: 4, sum: 8, sumSquares: 16 }).z).toBe(Infinity);
    expect(welchMeanDifference({ n: 3, sum: 3, sumSquares: 3 }, { n: 4, sum: 4, sumSquares: 4 }).z).toBe(0);
    expect(welchMeanDifference({ n: 1, sum: 3, sumSquares: 9 }, { n: 4, sum: 4, sumSquares: 5 }).se).toBeNaN();
  });

  it('rejects an empty sample and non-finite sums', () => {
    expect(rangeErrorOf(() => welchMeanDifference({ n: 0, sum: 0, sumSquares: 0 }, { n: 2, sum: 1, sumSquares: 1 }))).toMatch(/a\.n is 0/);
    expect(rangeErrorOf(() => welchMeanDifference({ n: 2, sum: 1, sumSquares: 1 }, { n: 2, sum: NaN, sumSquares: 1 }))).toMatch(/b's sums must be finite/);
  });
});
