// Benjamini–Hochberg false-discovery-rate control across the segments judged in one cycle.
import { rangeError } from './validate.js';

export interface FdrResult {
  /** rejected[i] = adjusted[i] ≤ q. */
  rejected: boolean[];
  /** BH-adjusted p-values (q-values), in input order. */
  adjusted: number[];
}

/**
 * Step-up BH: adjusted p_(i) = min over j ≥ i of p_(j)·m/j, capped at 1, which is monotone in the
 * p-values; rejecting adjusted ≤ q is the same as the classic "largest i with p_(i) ≤ i·q/m" rule.
 * Ties keep their input order in the sort; the running minimum makes their adjusted values equal.
 */
export function benjaminiHochberg(pValues: readonly number[], q: number): FdrResult {
  const fn = 'benjaminiHochberg';
  if (!(q > 0 && q <= 1)) throw rangeError(fn, `q must be in (0, 1], got ${q}`);
  pValues.forEach((p, i) => {
    if (Number.isNaN(p)) throw rangeError(fn, `pValues[${i}] is NaN`);
    if (p < 0 || p > 1) throw rangeError(fn, `pValues[${i}] is ${p}, outside [0, 1]`);
  });
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1]!;
    running = Math.min(running, (pValues[i]! * m) / rank);
    adjusted[i] = running;
  }
  return { rejected: adjusted.map((a) => a <= q), adjusted };
}
