import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from '../../src/stats/benjamini-hochberg.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: scipy.stats.false_discovery_control(method='bh'); rejected = adjusted ≤ q. Tolerance 1e-9 relative.
const oracle = fixture<{ pValues: number[]; q: number; adjusted: number[]; rejected: boolean[] }[]>('benjamini_hochberg');

describe('benjaminiHochberg', () => {
  it('matches scipy.stats.false_discovery_control to 1e-9 relative, ties and 1002 p-values included', () => {
    for (const { pValues, q, adjusted, rejected } of oracle) {
      const result = benjaminiHochberg(pValues, q);
      result.adjusted.forEach((a, i) => expectClose(a, adjusted[i]!));
      expect(result.rejected).toEqual(rejected);
    }
  });

  it('gives adjusted values that are monotone in the p-values and capped at 1', () => {
    const { pValues } = oracle[4]!;
    const { adjusted } = benjaminiHochberg(pValues, 0.05);
    const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
    for (let k = 1; k < order.length; k++) expect(adjusted[order[k]!]!).toBeGreaterThanOrEqual(adjusted[order[k - 1]!]!);
    expect(Math.max(...adjusted)).toBeLessThanOrEqual(1);
  });

  it('returns empty arrays for no p-values', () => {
    expect(benjaminiHochberg([], 0.05)).toEqual({ rejected: [], adjusted: [] });
  });

  it('rejects q outside (0, 1], NaN and p-values outside [0, 1]', () => {
    expect(rangeErrorOf(() => benjaminiHochberg([0.1], 0))).toMatch(/q must be in \(0, 1\], got 0/);
    expect(rangeErrorOf(() => benjaminiHochberg([0.1], 1.5))).toMatch(/q must be in \(0, 1\]/);
    expect(rangeErrorOf(() => benjaminiHochberg([0.1], NaN))).toMatch(/q must be in \(0, 1\]/);
    expect(rangeErrorOf(() => benjaminiHochberg([0.1, NaN], 0.05))).toMatch(/pValues\[1\] is NaN/);
    expect(rangeErrorOf(() => benjaminiHochberg([1.1], 0.05))).toMatch(/pValues\[0\] is 1.1, outside \[0, 1\]/);
  });
});
