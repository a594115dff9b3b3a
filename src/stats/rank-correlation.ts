// Spearman rank correlation of two scores on the same transactions (how much a shadow reorders live).
import { sampleRankCorrelation } from 'simple-statistics';
import { checkFinite, checkSameLength, rangeError } from './validate.js';

/**
 * Spearman's ρ: Pearson correlation of midranks (simple-statistics ≥ 7.12 ranks ties by midranks, as
 * scipy.stats.spearmanr does). NaN when either input is constant, where ρ is undefined.
 */
export function spearmanCorrelation(x: readonly number[], y: readonly number[]): number {
  const fn = 'spearmanCorrelation';
  checkSameLength(fn, 'x', x, 'y', y);
  if (x.length < 2) throw rangeError(fn, `needs at least 2 pairs, got ${x.length}`);
  checkFinite(fn, 'x', x);
  checkFinite(fn, 'y', y);
  return sampleRankCorrelation(x, y);
}
