// Wilson score interval for a proportion: sane bounds near 0 and 1 and for small segments.
import { normalQuantile } from './normal.js';
import { checkProportion } from './two-proportion.js';
import { checkOpenUnit } from './validate.js';

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Wilson (1927) score interval for x successes in n trials at the given two-sided confidence:
 * centre (x + z²/2)/(n + z²), half-width z/(n + z²)·√(x(n − x)/n + z²/4), z = Φ⁻¹(1 − α/2).
 * At x = 0 (x = n) the lower (upper) bound is exactly 0 (1); computing it would leave rounding dust.
 */
export function wilsonInterval(x: number, n: number, confidence = 0.95): Interval {
  const fn = 'wilsonInterval';
  checkProportion(fn, 'x', x, 'n', n);
  checkOpenUnit(fn, 'confidence', confidence);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((x * (n - x)) / n + z2 / 4);
  return {
    lo: x === 0 ? 0 : Math.max(0, centre - half),
    hi: x === n ? 1 : Math.min(1, centre + half),
  };
}
