import { describe, expect, it } from 'vitest';
import { chiSquareSurvival } from '../../src/stats/chi-square.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Tolerance: 1e-12 relative everywhere (measured worst: 1.7e-13 against mpmath, at P ≈ 1e-100, df = 3000).
//
// Oracles:
// - chi_square.json: scipy.stats.chi2.sf (Cephes igamc, itself good to ~1e-14 at these points).
// - chi_square_exact.json: mpmath.gammainc at 50 digits (make_fixtures.py chi_square_exact), df 1–10⁵,
//   x up to 10⁶, P from 1e-300 to 1 − 1e-15. Where the exact value is below 1e-300, 0 is accepted too:
//   results below the smallest normal double (2.2e-308) are returned as 0.
// - R 4.2 cross-check, print(pchisq(x, df, lower.tail = FALSE), digits = 17), agrees with both:
//     x = 2910, df = 3000                      0.87800935314468920  (@stdlib gammainc 0.3.1 gave 0.9105)
//     x = qchisq(0.95, 2000) = 2105.1542361646411  0.049999999999999996 (@stdlib gave 0.05065)
//     x = 1e5 + 10·sqrt(2e5), df = 1e5         3.2225621616916280e-23
//     x = 4000, df = 3000                      5.5899968313589310e-32
//     x = 1000, df = 999                       0.48513148927490146
//     x = 5, df = 3                            0.17179714429673321
const REL = 1e-12;
const scipy = fixture<{ x: number; df: number; sf: number }[]>('chi_square');
const exact = fixture<{ x: number; df: number; sf: number }[]>('chi_square_exact');
const degreesOfFreedom = [...new Set(exact.map((row) => row.df))];

describe('chiSquareSurvival', () => {
  it('matches scipy.stats.chi2.sf to 1e-12 relative, including fractional df and tiny tails', () => {
    for (const { x, df, sf } of scipy) expectClose(chiSquareSurvival(x, df), sf, REL);
  });

  it('matches mpmath to 1e-12 relative across df 1–10⁵ and x 0–10⁶, down to p = 1e-300', () => {
    expect(exact.length).toBeGreaterThan(600);
    for (const { x, df, sf } of exact) {
      const p = chiSquareSurvival(x, df);
      if (sf < 1e-300 && p === 0) continue;
      try {
        expectClose(p, sf, REL);
      } catch (error) {
        throw new Error(`chiSquareSurvival(${x}, ${df}) = ${p}, mpmath ${sf}`, { cause: error });
      }
    }
  });

  it('gets the cases of issue 16 right (R: pchisq(..., lower.tail = FALSE))', () => {
    expectClose(chiSquareSurvival(2910, 3000), 0.8780093531446892, REL);
    expectClose(chiSquareSurvival(2105.1542361646411, 2000), 0.05, REL);
    expectClose(chiSquareSurvival(1e5 + 10 * Math.sqrt(2e5), 1e5), 3.222562161691628e-23, REL);
  });

  it('is non-increasing in x, within [0, 1], across its methods and their boundaries', () => {
    for (const df of degreesOfFreedom) {
      const xs: number[] = [];
      for (let e = -12; e <= 6; e += 0.05) xs.push(10 ** e);
      const sd = Math.sqrt(2 * df);
      for (let k = -12; k <= 40; k += 0.01) xs.push(df + k * sd);
      for (const f of [0.6, 1.4]) for (let e = -1e-6; e <= 1e-6; e += 1e-8) xs.push(df * f * (1 + e));
      const sorted = xs.filter((x) => x >= 0 && x <= 1e6).sort((a, b) => a - b);
      let previous = 1;
      for (const x of sorted) {
        const p = chiSquareSurvival(x, df);
        if (!(p >= 0 && p <= previous)) expect.fail(`df = ${df}: P(χ² ≥ ${x}) = ${p} after ${previous}`);
        previous = p;
      }
    }
  });

  it('is 1 at x = 0 for every df', () => {
    for (const df of [...degreesOfFreedom, 0.01, 0.5, 1e6]) expect(chiSquareSurvival(0, df)).toBe(1);
  });

  it('underflows to 0 far in the tail, never to NaN', () => {
    expect(chiSquareSurvival(1e6, 1)).toBe(0);
    expect(chiSquareSurvival(1e6, 1e5)).toBe(0);
    expect(chiSquareSurvival(1.7e308, 0.3)).toBe(0);
    expect(chiSquareSurvival(1, 1e300)).toBe(1);
    expect(chiSquareSurvival(1, 5e-324)).toBe(0);
  });

  it('rejects negative or NaN x and df ≤ 0', () => {
    expect(rangeErrorOf(() => chiSquareSurvival(-1, 2))).toMatch(/x must be ≥ 0/);
    expect(rangeErrorOf(() => chiSquareSurvival(NaN, 2))).toMatch(/x is NaN/);
    expect(rangeErrorOf(() => chiSquareSurvival(1, 0))).toMatch(/df must be > 0/);
  });
});
