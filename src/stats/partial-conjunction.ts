// Partial conjunction: is the signal shared by at least u of n independent tests, not carried by one of them?
import { rangeError } from './validate.js';

/** p^{u/n} over p-values sorted ascending (the loop behind both exports). */
function simesTail(sorted: readonly number[], u: number): number {
  const k = sorted.length - u + 1;
  let best = 1;
  for (let i = 1; i <= k; i++) best = Math.min(best, (k / i) * (sorted[u - 2 + i] as number));
  return best;
}

function checkedSorted(fn: string, pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw rangeError(fn, `pValues[${i}] is ${p}, outside [0, 1]`);
  });
  return [...pValues].sort((a, b) => a - b);
}

/**
 * The Simes partial-conjunction p-value of H0: "fewer than u of the n hypotheses are false" (Benjamini & Heller,
 * Biometrics 2008, "Screening for partial conjunction hypotheses"): the Simes global test over the n − u + 1
 * largest p-values, p^{u/n} = min over i = 1…n−u+1 of (n−u+1)/i · p_(u−1+i). Valid for independent (or PRDS)
 * p-values: the segments of one value of a segment column hold disjoint traffic. u = 1 is the Simes test of
 * "any"; u = 2 asks whether a shift survives leaving out its strongest segment, which one issuer's outage
 * cannot fake. Nondecreasing in u.
 */
export function partialConjunction(pValues: readonly number[], u: number): number {
  const fn = 'partialConjunction';
  if (!Number.isInteger(u) || u < 1 || u > pValues.length) throw rangeError(fn, `u must be an integer in [1, ${pValues.length}], got ${u}`);
  return simesTail(checkedSorted(fn, pValues), u);
}

/**
 * The largest u whose partial-conjunction p-value is at most `alpha` (0 when even u = 1 is not): "at least u of the
 * n shifted", at that level. p^{u/n} grows with u, so the first miss ends the search.
 */
export function sharedCount(pValues: readonly number[], alpha: number): number {
  const sorted = checkedSorted('sharedCount', pValues);
  let u = 0;
  while (u < sorted.length && simesTail(sorted, u + 1) <= alpha) u++;
  return u;
}
