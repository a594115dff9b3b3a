// Two-proportion z-test with the pooled standard error: did a segment's approval rate change?
import { twoSidedPValue } from './normal.js';
import { checkCountValue, rangeError } from './validate.js';

export interface ZTestResult {
  z: number;
  /** Two-sided. */
  pValue: number;
}

/**
 * z = (p1 − p2)/se with p = (x1 + x2)/(n1 + n2) and se = √(p(1 − p)(1/n1 + 1/n2)).
 * When the pooled rate is 0 or 1 (nothing or everything approved in both windows) se is 0 and the
 * windows are indistinguishable: z = 0, p-value = 1, rather than 0/0.
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ZTestResult {
  checkProportion('twoProportionZTest', 'x1', x1, 'n1', n1);
  checkProportion('twoProportionZTest', 'x2', x2, 'n2', n2);
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / se;
  return { z, pValue: twoSidedPValue(z) };
}

/** x successes out of n trials: both counts, n > 0, x ≤ n. */
export function checkProportion(fn: string, xName: string, x: number, nName: string, n: number): void {
  checkCountValue(fn, xName, x);
  checkCountValue(fn, nName, n);
  if (n === 0) throw rangeError(fn, `${nName} is 0; need at least one trial`);
  if (x > n) throw rangeError(fn, `${xName} = ${x} exceeds ${nName} = ${n}`);
}
