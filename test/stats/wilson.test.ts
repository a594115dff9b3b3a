import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../src/stats/wilson.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracles: scipy.stats.binomtest(x, n).proportion_ci(method='wilson'), tolerance 1e-9 relative
// (1e-15 absolute for bounds at 0); and Newcombe's published worked examples to the 4 decimals printed.
interface WilsonCase {
  x: number;
  n: number;
  confidence: number;
  lo: number;
  hi: number;
}
const oracle = fixture<{ wilson: WilsonCase[] }>('proportions').wilson;

describe('wilsonInterval', () => {
  it('matches scipy to 1e-9 relative across confidences, n and the boundaries x = 0, x = n', () => {
    for (const { x, n, confidence, lo, hi } of oracle) {
      const interval = wilsonInterval(x, n, confidence);
      expectClose(interval.lo, lo, 1e-9, 1e-15);
      expectClose(interval.hi, hi, 1e-9, 1e-15);
    }
  });

  // Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of seven
  // methods", Statistics in Medicine 17:857–872: the score method without continuity correction on
  // the paper's four examples, printed to 4 decimals.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('reproduces Newcombe (1998) for %i/%i', (x, n, lo, hi) => {
    const interval = wilsonInterval(x, n);
    expect(Math.abs(interval.lo - lo)).toBeLessThanOrEqual(5e-5);
    expect(Math.abs(interval.hi - hi)).toBeLessThanOrEqual(5e-5);
  });

  it('is exactly [0, …] at x = 0 and […, 1] at x = n', () => {
    expect(wilsonInterval(0, 7).lo).toBe(0);
    expect(wilsonInterval(7, 7).hi).toBe(1);
  });

  it('rejects n = 0, x > n, negative counts, NaN and confidence outside (0, 1)', () => {
    expect(rangeErrorOf(() => wilsonInterval(0, 0))).toMatch(/n is 0/);
    expect(rangeErrorOf(() => wilsonInterval(5, 4))).toMatch(/x = 5 exceeds n = 4/);
    expect(rangeErrorOf(() => wilsonInterval(-1, 4))).toMatch(/x is -1; counts must be ≥ 0/);
    expect(rangeErrorOf(() => wilsonInterval(1, NaN))).toMatch(/n is NaN/);
    expect(rangeErrorOf(() => wilsonInterval(1, 4, 1))).toMatch(/confidence must be in \(0, 1\), got 1/);
    expect(rangeErrorOf(() => wilsonInterval(1, 4, 0))).toMatch(/confidence must be in \(0, 1\), got 0/);
  });
});
