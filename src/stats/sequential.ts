// Change detection that accumulates evidence across cycles: the largest mixture likelihood ratio over the spans
// that end now, with a p-value valid at any time it is looked at (docs/architecture.md, "Noticing in minutes").
//
// Method. Counts of K categories (approved / declined; score bins) arrive in five-minute strips. Against known
// proportions p0 (the reference's), the Dirichlet(a, …, a) mixture of multinomial likelihood ratios
//   L(x) = [Γ(K·a) / Γ(n + K·a) · Π_i Γ(x_i + a) / Γ(a)] / Π_i p0_i^{x_i},   n = Σ x_i,
// is a non-negative martingale with mean 1 under p0 as observations are added one by one (Robbins 1970, "Statistical
// methods related to the law of the iterated logarithm"; a = 1/2 is the Krichevsky–Trofimov / Jeffreys mixture,
// whose regret against the best fixed alternative is (K − 1)/2 · ln n + O(1) nats). Ville's inequality gives
// P(sup_n L ≥ 1/α) ≤ α under p0: each span's ratio is an anytime-valid test, whatever the alternative.
// A change at an unknown time is found as in Page's CUSUM (Page 1954), with the mixture in place of a fixed
// alternative: the statistic is the largest L over the spans that start at a strip boundary and end now, and
// rejecting when one of S spans reaches S/α keeps each look's false-alarm probability at α (Bonferroni over the
// starts). Lorden (1971) bounds the mean time to a false alarm of such a scheme by 1/α per start.

import { lnGammaStar } from './gamma.js';
import { rangeError } from './validate.js';

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0, from Stirling's correction (gamma.ts): good to ~1e-15 relative away from the roots at 1 and 2. */
export function lnGamma(x: number): number {
  return lnGammaStar(x) + HALF_LN_2PI + (x - 0.5) * Math.log(x) - x;
}

/** ln Γ(x + a) − ln Γ(a), exact for x = 0. */
function lnRising(a: number, x: number): number {
  return x === 0 ? 0 : lnGamma(x + a) - lnGamma(a);
}

/**
 * ln of the Dirichlet(a) mixture likelihood ratio of `counts` against proportions `p0` (each > 0, summing to 1).
 * A category of p0 = 0 with a count would make the ratio infinite: give p0 smoothed (see `smoothedProportions`).
 */
export function logMixtureRatio(counts: readonly number[], p0: readonly number[], a = 0.5): number {
  if (counts.length !== p0.length || counts.length < 2) throw rangeError('logMixtureRatio', `needs counts and p0 of one length ≥ 2, got ${counts.length} and ${p0.length}`);
  if (!(a > 0)) throw rangeError('logMixtureRatio', `a must be > 0, got ${a}`);
  const k = counts.length;
  let n = 0;
  let mixture = 0;
  let null0 = 0;
  for (let i = 0; i < k; i++) {
    const x = counts[i] as number;
    const p = p0[i] as number;
    if (!(x >= 0) || !Number.isFinite(x)) throw rangeError('logMixtureRatio', `counts must be finite and ≥ 0, got ${x}`);
    if (!(p > 0 && p <= 1)) throw rangeError('logMixtureRatio', `p0 must be in (0, 1], got ${p}`);
    n += x;
    mixture += lnRising(a, x);
    if (x > 0) null0 += x * Math.log(p);
  }
  return mixture - lnRising(k * a, n) - null0;
}

/** Reference counts → proportions with `a` added to each (so an empty category is possible, not impossible). */
export function smoothedProportions(counts: readonly number[], a = 0.5): number[] {
  const total = counts.reduce((s, x) => s + x, 0) + a * counts.length;
  return counts.map((x) => (x + a) / total);
}

export interface ChangeScan {
  /** The largest ln L over the spans ending now (negative when no span departs from p0; 0 without any data). */
  logRatio: number;
  /** How many strips back the strongest span starts (1 = the last strip alone); 0 without any data. */
  strips: number;
  /** Counts of the strongest span, per category. */
  counts: number[];
  /** min(1, S · e^{−logRatio}), S the starts accounted for: valid at this look whatever was seen before. */
  pValue: number;
}

export interface ScanOptions {
  /** The mixture's Dirichlet parameter (1/2: Krichevsky–Trofimov). */
  a?: number;
  /**
   * The starts the p-value accounts for (default: the strips given). Looks repeated every strip over a horizon of
   * H strips test H + S starts in all: with `starts` = H + S, P(any look within the horizon gives p ≤ α) ≤ α, each
   * start's ratio crossing (H + S)/α with probability at most α/(H + S) (Ville).
   */
  starts?: number;
}

/**
 * Scans the spans that end with the last strip (`strips` oldest first, each a count per category) for the one
 * whose counts depart most from `p0`. Every strip is a possible start, empty ones included, so the p-value's
 * Bonferroni factor depends on the strips given (and `starts`), never on what was seen.
 */
export function scanForChange(strips: readonly (readonly number[])[], p0: readonly number[], options: ScanOptions = {}): ChangeScan {
  const a = options.a ?? 0.5;
  const starts = Math.max(1, options.starts ?? strips.length);
  if (starts < strips.length) throw rangeError('scanForChange', `starts (${starts}) must cover the ${strips.length} strips scanned`);
  const k = p0.length;
  const span = new Array<number>(k).fill(0);
  let best: ChangeScan = { logRatio: -Infinity, strips: 0, counts: new Array<number>(k).fill(0), pValue: 1 };
  for (let back = 1; back <= strips.length; back++) {
    const strip = strips[strips.length - back] as readonly number[];
    if (strip.length !== k) throw rangeError('scanForChange', `strip ${strips.length - back} has ${strip.length} counts, p0 has ${k}`);
    let added = 0;
    for (let i = 0; i < k; i++) {
      span[i] = (span[i] as number) + (strip[i] as number);
      added += strip[i] as number;
    }
    if (added === 0) continue;
    const logRatio = logMixtureRatio(span, p0, a);
    if (logRatio > best.logRatio) best = { logRatio, strips: back, counts: [...span], pValue: 1 };
  }
  if (best.strips === 0) return { ...best, logRatio: 0 };
  best.pValue = Math.min(1, Math.exp(Math.log(starts) - best.logRatio));
  return best;
}
