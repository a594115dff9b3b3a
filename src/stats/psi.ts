// Population Stability Index between a reference and a current binned distribution, and its noise floor.
import { checkCounts, checkInteger, checkNonEmpty, checkSameLength, positiveTotal, rangeError } from './validate.js';

export interface PsiOptions {
  /** Stands in for a proportion of 0, which would make ln(a/e) infinite. Default 1e-4. */
  epsilon?: number;
}

/**
 * PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ) over the proportions of `expected` (reference) and `actual` (current) counts.
 * A proportion of 0 is replaced by `epsilon` before the sum, without renormalising, so a bin
 * empty in one window contributes a large but finite term.
 */
export function psiFromCounts(expected: readonly number[], actual: readonly number[], opts: PsiOptions = {}): number {
  const fn = 'psiFromCounts';
  const epsilon = opts.epsilon ?? 1e-4;
  if (!(epsilon > 0 && epsilon < 1)) throw rangeError(fn, `epsilon must be in (0, 1), got ${epsilon}`);
  checkSameLength(fn, 'expected', expected, 'actual', actual);
  checkNonEmpty(fn, 'expected', expected);
  checkCounts(fn, 'expected', expected);
  checkCounts(fn, 'actual', actual);
  const expectedTotal = positiveTotal(fn, 'expected', expected);
  const actualTotal = positiveTotal(fn, 'actual', actual);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]! / expectedTotal || epsilon;
    const a = actual[i]! / actualTotal || epsilon;
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Expected PSI between two samples of sizes nRef and nCur drawn from the SAME distribution over
 * `bins` bins: (bins − 1)·(1/nRef + 1/nCur). A PSI near this value is sampling noise, not drift.
 *
 * Derivation: write both proportions around the true pᵢ, eᵢ = pᵢ + δᵢ, aᵢ = pᵢ + αᵢ. To second order
 * (aᵢ − eᵢ)·ln(aᵢ/eᵢ) ≈ (aᵢ − eᵢ)²/pᵢ, and the windows are independent multinomial samples, so
 * E[(aᵢ − eᵢ)²] = Var(aᵢ) + Var(eᵢ) = pᵢ(1 − pᵢ)(1/nCur + 1/nRef). Summing, Σ(1 − pᵢ) = bins − 1.
 * Equivalently PSI·nRef·nCur/(nRef + nCur) is approximately χ² with bins − 1 degrees of freedom.
 * Holds while every bin expects a few counts in both windows (no epsilon substitutions).
 */
export function psiNoiseFloor(bins: number, nRef: number, nCur: number): number {
  const fn = 'psiNoiseFloor';
  checkInteger(fn, 'bins', bins, 1);
  if (!(nRef > 0) || !Number.isFinite(nRef)) throw rangeError(fn, `nRef must be > 0, got ${nRef}`);
  if (!(nCur > 0) || !Number.isFinite(nCur)) throw rangeError(fn, `nCur must be > 0, got ${nCur}`);
  return (bins - 1) * (1 / nRef + 1 / nCur);
}
