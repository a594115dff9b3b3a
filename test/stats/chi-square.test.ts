import { describe, expect, it } from 'vitest';
import { chiSquareSurvival } from '../../src/stats/chi-square.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: scipy.stats.chi2.sf; tolerance 1e-9 relative (p-values down to ~1e-100).
const oracle = fixture<{ x: number; df: number; sf: number }[]>('chi_square');

describe('chiSquareSurvival', () => {
  it('matches scipy.stats.chi2.sf to 1e-9 relative, including fractional df and tiny tails', () => {
    for (const { x, df, sf } of oracle) expectClose(chiSquareSurvival(x, df), sf);
  });

  it('is 1 at x = 0', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });

  it('rejects negative or NaN x and df ≤ 0', () => {
    expect(rangeErrorOf(() => chiSquareSurvival(-1, 2))).toMatch(/x must be ≥ 0/);
    expect(rangeErrorOf(() => chiSquareSurvival(NaN, 2))).toMatch(/x is NaN/);
    expect(rangeErrorOf(() => chiSquareSurvival(1, 0))).toMatch(/df must be > 0/);
  });
});
