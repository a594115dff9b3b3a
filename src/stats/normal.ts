// Standard normal CDF, quantile and two-sided p-values in double precision (stdlib, not a 4-decimal table).
import cdf from '@stdlib/stats-base-dists-normal-cdf';
import quantile from '@stdlib/stats-base-dists-normal-quantile';
import { checkFiniteValue, rangeError } from './validate.js';

/** Φ(x), the standard normal CDF. ±Infinity are allowed (0 and 1). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) throw rangeError('normalCdf', 'x is NaN');
  return cdf(x, 0, 1);
}

/**
 * Φ⁻¹(p) for p in [0, 1] (−Infinity at 0, +Infinity at 1), to about 1e-15 relative down to p = 1e-300.
 * stdlib's quantile goes through erfinv(2p − 1), and 2p − 1 rounds to −1 for p below ~1e-16 (it returns
 * −Infinity there), so the lower tail is polished by Newton steps on ln Φ(x) = ln p. The upper half uses
 * the symmetry with 1 − p, which is exact in floating point for p ≥ ½.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw rangeError('normalQuantile', `p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  return p > 0.5 ? -lowerQuantile(1 - p) : lowerQuantile(p);
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Φ⁻¹(p) for 0 < p ≤ ½. ln Φ is concave, so Newton converges monotonically from either side. */
function lowerQuantile(p: number): number {
  const start = quantile(p, 0, 1);
  let x = Number.isFinite(start) ? start : tailGuess(p);
  const logP = Math.log(p);
  for (let i = 0; i < 50; i++) {
    const phi = cdf(x, 0, 1);
    const step = ((Math.log(phi) - logP) * phi * SQRT_2PI) / Math.exp((-x * x) / 2);
    x -= step;
    if (!(Math.abs(step) > 1e-15 * Math.abs(x))) break;
  }
  return x;
}

/** Abramowitz & Stegun 26.2.23 (absolute error < 4.5e-4): a starting point where stdlib gives up. */
function tailGuess(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  return -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3));
}

/**
 * Two-sided p-value of a standard normal statistic, 2·Φ(−|z|).
 * Taken from the lower tail of −|z| rather than 1 − Φ(|z|): the subtraction would round every
 * p-value below ~1e-16 to 0, and Benjamini–Hochberg over thousands of segments needs them.
 */
export function twoSidedPValue(z: number): number {
  checkFiniteValue('twoSidedPValue', 'z', z);
  return Math.min(1, 2 * cdf(-Math.abs(z), 0, 1));
}
