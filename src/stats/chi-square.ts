// Upper tail of the chi-square distribution, the p-value of every chi-square test here.
import gammainc from '@stdlib/math-base-special-gammainc';
import { checkFiniteValue, rangeError } from './validate.js';

/**
 * P(χ²_df ≥ x), as the regularized upper incomplete gamma Q(df/2, x/2).
 * Computed directly as the upper tail (not 1 − P) so that small p-values keep their precision.
 */
export function chiSquareSurvival(x: number, df: number): number {
  checkFiniteValue('chiSquareSurvival', 'x', x);
  if (x < 0) throw rangeError('chiSquareSurvival', `x must be ≥ 0, got ${x}`);
  if (!(df > 0) || !Number.isFinite(df)) throw rangeError('chiSquareSurvival', `df must be > 0, got ${df}`);
  if (x === 0) return 1;
  return gammainc(x / 2, df / 2, true, true);
}
