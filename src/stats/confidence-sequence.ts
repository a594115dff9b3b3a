// Anytime-valid comparison of two approval rates, and the sample-ratio check of an experiment's allocation.
//
// Method (docs/architecture.md, "Experiments"). The difference of two proportions θ = p_T − p_C is estimated by
// θ̂ = x_T/n_T − x_C/n_C with variance V = p_T(1 − p_T)/n_T + p_C(1 − p_C)/n_C (plug-in, each rate shrunk to
// (x + ½)/(n + 1) so a rate of 0 or 1 still has a variance). Against θ0, the normal-mixture likelihood ratio with a
// N(θ0, τ²) mixing distribution over the alternative,
//   Λ(θ0) = √(V / (V + τ²)) · exp(τ² (θ̂ − θ0)² / (2 V (V + τ²))),
// is Robbins' (1970) mixture martingale for a Gaussian mean; used on the running estimate it is the mixture SPRT of
// Johari, Koomen, Pekelis & Walsh (2017, "Peeking at A/B tests", Optimizely's always-valid p-values) and the
// asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas (2023, "Time-uniform central limit
// theory and asymptotic confidence sequences"). Ville's inequality makes P(some look has Λ(θ) ≥ 1/α) ≤ α under the
// true θ (asymptotically in n, with V estimated), so
//   p = min(1, 1/Λ(0))   is an always-valid p-value, and
//   θ̂ ± √((V (V + τ²)/τ²) · (2 ln(1/α) + ln((V + τ²)/V)))   is a (1 − α) confidence sequence:
// a team may look every cycle and stop at any look. τ sets where the boundary is tightest (an effect of about τ);
// the interval is valid for every τ. test/stats/confidence-sequence.test.ts checks the closed form against
// scipy's numerical integral of the mixture and measures the false-ship rate when peeking every cycle.
//
// Sample ratio mismatch. The allocation counts against the intended split: Pearson's χ² (what a fixed-horizon test
// reports) and the Dirichlet(½, …, ½) multinomial mixture ratio of sequential.ts (Lindon & Malek 2022,
// "Anytime-valid inference for multinomial count data"), whose p = min(1, 1/L) may be looked at every cycle.
import { chiSquareSurvival } from './chi-square.js';
import { logMixtureRatio } from './sequential.js';
import { rangeError } from './validate.js';

export interface ProportionCounts {
  /** Successes (approved) and trials (labeled). */
  x: number;
  n: number;
}

export interface LiftSequence {
  /** θ̂ = treatment rate − control rate. */
  lift: number;
  /** The (1 − α) confidence sequence's bounds at this look. */
  lo: number;
  hi: number;
  /** Always-valid p-value of θ = 0. */
  pValue: number;
  /** The estimate's variance V. */
  variance: number;
}

function checkCounts(name: string, c: ProportionCounts): void {
  if (!(Number.isFinite(c.x) && Number.isFinite(c.n) && c.x >= 0 && c.n > 0 && c.x <= c.n)) {
    throw rangeError('liftConfidenceSequence', `${name} needs 0 ≤ x ≤ n and n > 0, got x = ${c.x}, n = ${c.n}`);
  }
}

/** ln Λ(θ0) of the normal mixture: see the header. */
export function logMixtureNormal(estimate: number, theta0: number, variance: number, tau: number): number {
  const t2 = tau * tau;
  const d = estimate - theta0;
  return 0.5 * Math.log(variance / (variance + t2)) + (t2 * d * d) / (2 * variance * (variance + t2));
}

/** The confidence sequence's half-width for a variance V at level α: see the header. */
export function mixtureHalfWidth(variance: number, tau: number, alpha: number): number {
  const t2 = tau * tau;
  return Math.sqrt(((variance * (variance + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((variance + t2) / variance)));
}

/** Treatment − control approval rate with its anytime-valid interval at level `alpha` and p-value. */
export function liftConfidenceSequence(control: ProportionCounts, treatment: ProportionCounts, options: { alpha: number; tau: number }): LiftSequence {
  checkCounts('control', control);
  checkCounts('treatment', treatment);
  const { alpha, tau } = options;
  if (!(alpha > 0 && alpha < 1)) throw rangeError('liftConfidenceSequence', `alpha must be in (0, 1), got ${alpha}`);
  if (!(tau > 0 && Number.isFinite(tau))) throw rangeError('liftConfidenceSequence', `tau must be > 0, got ${tau}`);
  const shrunk = (c: ProportionCounts) => (c.x + 0.5) / (c.n + 1);
  const pc = shrunk(control);
  const pt = shrunk(treatment);
  const variance = (pt * (1 - pt)) / treatment.n + (pc * (1 - pc)) / control.n;
  const lift = treatment.x / treatment.n - control.x / control.n;
  const half = mixtureHalfWidth(variance, tau, alpha);
  const pValue = Math.min(1, Math.exp(-logMixtureNormal(lift, 0, variance, tau)));
  return { lift, lo: lift - half, hi: lift + half, pValue, variance };
}

export interface SampleRatioTest {
  /** Pearson's χ² of the counts against the split, df = arms − 1, and its fixed-horizon p-value. */
  chiSquare: number;
  chiSquarePValue: number;
  /** Always-valid p-value: 1 / the Dirichlet(½) mixture ratio, capped at 1. */
  pValue: number;
}

/** Allocation counts per arm against the intended shares (any positive weights; normalised here). */
export function sampleRatioTest(counts: readonly number[], weights: readonly number[]): SampleRatioTest {
  if (counts.length !== weights.length || counts.length < 2) throw rangeError('sampleRatioTest', `needs counts and weights of one length ≥ 2, got ${counts.length} and ${weights.length}`);
  const total = counts.reduce((s, x) => s + x, 0);
  const wTotal = weights.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw rangeError('sampleRatioTest', 'needs at least one allocated unit');
  if (weights.some((w) => !(w > 0)) || !Number.isFinite(wTotal)) throw rangeError('sampleRatioTest', `weights must be > 0, got ${weights.join(', ')}`);
  const p0 = weights.map((w) => w / wTotal);
  let chiSquare = 0;
  counts.forEach((x, i) => {
    const expected = total * (p0[i] as number);
    chiSquare += (x - expected) ** 2 / expected;
  });
  const chiSquarePValue = chiSquareSurvival(chiSquare, counts.length - 1);
  const pValue = Math.min(1, Math.exp(-logMixtureRatio(counts, p0)));
  return { chiSquare, chiSquarePValue, pValue };
}
