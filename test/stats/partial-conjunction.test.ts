import { describe, expect, it } from 'vitest';
import { partialConjunction, sharedCount } from '../../src/stats/partial-conjunction.js';
import { expectClose, fixture, rangeErrorOf, seededRandom } from './support.js';

// Oracle: R's p.adjust(method = "BH") over the n − u + 1 largest p-values (partial_conjunction.R). Tolerance 1e-9 relative.
const oracle = fixture<{ pValues: number[]; pc: number[] }[]>('partial_conjunction');

describe('partialConjunction', () => {
  it('matches the Simes test over the n − u + 1 largest p-values, computed by R, for every u', () => {
    for (const { pValues, pc } of oracle) pc.forEach((expected, i) => expectClose(partialConjunction(pValues, i + 1), expected));
  });

  it('is nondecreasing in u, and u = 2 is not fooled by one tiny p-value', () => {
    const [, lone] = oracle;
    expect(partialConjunction(lone!.pValues, 1)).toBeLessThan(1e-10);
    expect(partialConjunction(lone!.pValues, 2)).toBeGreaterThan(0.5);
    for (const { pValues } of oracle) {
      for (let u = 2; u <= pValues.length; u++) expect(partialConjunction(pValues, u)).toBeGreaterThanOrEqual(partialConjunction(pValues, u - 1));
    }
  });

  it('keeps its level under the null: p^{2/n} ≤ 0.05 on at most 5 % of 4,000 draws of 1 signal and 19 nulls', () => {
    const uniform = seededRandom(7);
    let rejected = 0;
    for (let draw = 0; draw < 4000; draw++) {
      const p = [1e-30, ...Array.from({ length: 19 }, uniform)];
      if (partialConjunction(p, 2) <= 0.05) rejected++;
    }
    // Binomial(4000, 0.05) has sd 13.8; Simes is conservative here, so the rate sits at or below 5 %.
    expect(rejected / 4000).toBeLessThanOrEqual(0.05 + 3 * 0.0034);
  });

  it('counts how many shifted: sharedCount is the largest u at the level', () => {
    const p = [1e-9, 1e-8, 1e-7, 0.3, 0.8];
    expect(sharedCount(p, 0.01)).toBe(3);
    expect(sharedCount([0.5, 0.9], 0.01)).toBe(0);
    for (const { pValues } of oracle) {
      const u = sharedCount(pValues, 0.05);
      if (u > 0) expect(partialConjunction(pValues, u)).toBeLessThanOrEqual(0.05);
      if (u < pValues.length) expect(partialConjunction(pValues, u + 1)).toBeGreaterThan(0.05);
    }
  });

  it('rejects u outside [1, n] and p-values outside [0, 1]', () => {
    expect(rangeErrorOf(() => partialConjunction([0.1, 0.2], 3))).toMatch(/u must be an integer in \[1, 2\], got 3/);
    expect(rangeErrorOf(() => partialConjunction([0.1, Number.NaN], 1))).toMatch(/pValues\[1\] is NaN/);
  });
});
