import { describe, expect, it } from 'vitest';
import { psiFromCounts, psiNoiseFloor } from '../../src/stats/psi.js';
import { expectClose, fixture, multinomial, rangeErrorOf, seededRandom } from './support.js';

// Oracle: the PSI formula (README, "How findings are judged") evaluated in numpy (make_fixtures.py psi_numpy); tolerance 1e-9 relative.
const oracle = fixture<{ expected: number[]; actual: number[]; epsilon: number; psi: number }[]>('psi');

describe('psiFromCounts', () => {
  it('matches the numpy evaluation to 1e-9 relative, including bins empty in one or both windows', () => {
    for (const { expected, actual, epsilon, psi } of oracle) {
      expectClose(psiFromCounts(expected, actual, { epsilon }), psi);
    }
  });

  it('replaces a zero proportion by epsilon (default 1e-4) without renormalising', () => {
    const a = 0.5;
    const e = 1e-4;
    const expected = (a - e) * Math.log(a / e) + (0.5 - 1) * Math.log(0.5 / 1);
    expectClose(psiFromCounts([0, 10], [5, 5]), expected, 1e-12);
  });

  it('is 0 for identical distributions, whatever the sample sizes', () => {
    expect(psiFromCounts([10, 20, 30, 0], [10, 20, 30, 0])).toBe(0);
    expectClose(psiFromCounts([1, 2, 3], [100, 200, 300]), 0, 0, 1e-15);
  });

  it('rejects mismatched lengths, NaN, negative counts, all-zero windows and a bad epsilon', () => {
    expect(rangeErrorOf(() => psiFromCounts([1, 2], [1]))).toMatch(/same length \(2 vs 1\)/);
    expect(rangeErrorOf(() => psiFromCounts([], []))).toMatch(/empty \(n = 0\)/);
    expect(rangeErrorOf(() => psiFromCounts([1, NaN], [1, 1]))).toMatch(/expected\[1\] is NaN/);
    expect(rangeErrorOf(() => psiFromCounts([1, 1], [1, -2]))).toMatch(/actual\[1\] is -2; counts must be ≥ 0/);
    expect(rangeErrorOf(() => psiFromCounts([0, 0], [1, 1]))).toMatch(/expected counts are all zero/);
    expect(rangeErrorOf(() => psiFromCounts([1, 1], [0, 0]))).toMatch(/actual counts are all zero/);
    expect(rangeErrorOf(() => psiFromCounts([1], [1], { epsilon: 0 }))).toMatch(/epsilon must be in \(0, 1\)/);
  });
});

describe('psiNoiseFloor', () => {
  it('is (bins − 1)·(1/nRef + 1/nCur)', () => {
    expectClose(psiNoiseFloor(10, 5000, 1000), 9 * (1 / 5000 + 1 / 1000), 1e-15);
    expect(psiNoiseFloor(1, 10, 10)).toBe(0);
  });

  // Simulation: 2000 pairs of multinomial windows from one distribution (seeded); the mean PSI must
  // be within 10% of the formula. Monte Carlo error of the mean is ~1% here.
  it.each([
    ['deciles', Array.from({ length: 10 }, () => 0.1), 2000, 1000],
    ['skewed bins', [0.02, 0.08, 0.2, 0.3, 0.4], 3000, 1500],
  ])('matches the mean PSI of identical distributions (%s)', (_name, p, nRef, nCur) => {
    const uniform = seededRandom(12345);
    const draws = 2000;
    let sum = 0;
    for (let i = 0; i < draws; i++) sum += psiFromCounts(multinomial(uniform, nRef, p), multinomial(uniform, nCur, p));
    const floor = psiNoiseFloor(p.length, nRef, nCur);
    expect(Math.abs(sum / draws - floor) / floor).toBeLessThan(0.1);
  });

  it('rejects bins < 1 and non-positive sample sizes', () => {
    expect(rangeErrorOf(() => psiNoiseFloor(0, 10, 10))).toMatch(/bins must be an integer ≥ 1/);
    expect(rangeErrorOf(() => psiNoiseFloor(10, 0, 10))).toMatch(/nRef must be > 0/);
    expect(rangeErrorOf(() => psiNoiseFloor(10, 10, NaN))).toMatch(/nCur must be > 0/);
  });
});
