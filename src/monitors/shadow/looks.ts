// The critical value of a verdict's one-sided tests when the verdict is taken again every cycle on a sliding window.
/*
 * A verdict is re-taken every cycle (every five minutes) on the current window, which slides: at level alpha per
 * look, a shadow exchangeable with live crosses z = −2.33 at some look of a day far more often than alpha. On a
 * sliding window of length w a standardised statistic is (asymptotically: DeLong's is a sum of per-transaction
 * placements, as is a log quantile ratio) a moving sum of independent increments, a Gaussian process with
 * correlation 1 − |s|/w. Its chance to cross c anywhere in a span T (Pickands 1969; Siegmund & Venkatraman 1995,
 * the continuous scan, an upper bound for discrete looks) is about
 *     P(sup Z > c) ≈ Φ̄(c) + (T/w) · c · φ(c)
 * and the verdict's critical value solves it = alpha over one day (T/w = its window's renewals, 1 for 24h).
 * alpha = 0.01: c = 3.136 for a day window, 3.567 for 6h, where one look would take 2.326. Simulated (a 24 h
 * window, 10,000 days of five-minute looks): 0.9 % of days cross 3.136 somewhere, 7.1 % cross 2.326.
 */
import { normalCdf } from '../../stats/index.js';

const density = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

/** Chance a clean verdict's statistic crosses c at some look of a day: Φ̄(c) + renewals · c · φ(c). */
export function dailyCrossing(c: number, renewals: number): number {
  return Math.min(1, normalCdf(-c) + renewals * Math.max(0, c) * density(c));
}

/**
 * The c with dailyCrossing(c, renewals) = alpha: the one-sided critical value whose false alarms per day, looks
 * included, are alpha. `renewals` is 24h / the window's length (at least 1), 0 for a window that does not slide
 * (fixed dates), which gives the plain quantile Φ⁻¹(1 − alpha).
 */
export function dailyCriticalValue(alpha: number, renewals: number): number {
  if (!(alpha > 0 && alpha <= 0.5)) throw new RangeError(`dailyCriticalValue: alpha must be in (0, 0.5], got ${alpha}`);
  if (!(renewals >= 0 && Number.isFinite(renewals))) throw new RangeError(`dailyCriticalValue: renewals must be finite and ≥ 0, got ${renewals}`);
  // dailyCrossing(0) = ½; it may rise before it falls for good, so every c with dailyCrossing(c) ≤ alpha ≤ ½ lies
  // past the rise, and bisection keeping dailyCrossing(lo) > alpha ≥ dailyCrossing(hi) finds the least of them.
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (dailyCrossing(mid, renewals) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
