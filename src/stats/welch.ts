// Welch's z for a difference of two means from running sums: did a window's mean per-event loss move?
import { checkCountValue, rangeError } from './validate.js';

/** A sample kept as running sums: its size, Σ x and Σ x². */
export interface SampleSums {
  n: number;
  sum: number;
  sumSquares: number;
}

export interface MeanDifference {
  /** mean(b) − mean(a). */
  delta: number;
  /** √(s²a/na + s²b/nb) with each sample's unbiased variance; NaN when a sample has fewer than two values. */
  se: number;
  /** delta / se (Welch's t statistic, referred to the normal: the windows hold hundreds of events at least). */
  z: number;
}

/** The sample variance from running sums, clamped at 0 (Σx² − n·mean² can round below it). */
function moments(fn: string, name: string, s: SampleSums): { mean: number; variance: number } {
  checkCountValue(fn, `${name}.n`, s.n);
  if (s.n === 0) throw rangeError(fn, `${name}.n is 0; need at least one value`);
  if (!Number.isFinite(s.sum) || !Number.isFinite(s.sumSquares)) throw rangeError(fn, `${name}'s sums must be finite`);
  const mean = s.sum / s.n;
  return { mean, variance: s.n > 1 ? Math.max(0, (s.sumSquares - s.n * mean * mean) / (s.n - 1)) : NaN };
}

/**
 * Welch's statistic for mean(b) − mean(a) from running sums: the rollup keeps Σ loss and Σ loss² per hour, so the
 * per-event values are never read again. With se 0 (constant samples), z is ±Infinity for a change and 0 for none.
 */
export function welchMeanDifference(a: SampleSums, b: SampleSums): MeanDifference {
  const ma = moments('welchMeanDifference', 'a', a);
  const mb = moments('welchMeanDifference', 'b', b);
  const delta = mb.mean - ma.mean;
  const se = Math.sqrt(ma.variance / a.n + mb.variance / b.n);
  const z = se > 0 ? delta / se : se === 0 ? (delta === 0 ? 0 : Math.sign(delta) * Infinity) : NaN;
  return { delta, se, z };
}
