import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile, twoSidedPValue } from '../../src/stats/normal.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: scipy.stats.norm (cdf, ppf, 2·sf(|z|)); tolerance 1e-9 relative, also deep in the tails.
interface NormalFixture {
  cdf: { x: number; p: number }[];
  twoSided: { z: number; p: number }[];
  quantile: { p: number; x: number }[];
}
const oracle = fixture<NormalFixture>('normal');

describe('normal distribution', () => {
  it('Φ(x) matches scipy.stats.norm.cdf to 1e-9 relative, down to Φ(−38) ≈ 3e-316', () => {
    for (const { x, p } of oracle.cdf) expectClose(normalCdf(x), p);
  });

  it('two-sided p-values keep their precision for large |z| (2·Φ(−|z|), not 2·(1 − Φ(|z|)))', () => {
    for (const { z, p } of oracle.twoSided) expectClose(twoSidedPValue(z), p);
    expect(twoSidedPValue(20)).toBeGreaterThan(0);
    expect(twoSidedPValue(0)).toBe(1);
  });

  it('Φ⁻¹(p) matches scipy.stats.norm.ppf to 1e-9 relative', () => {
    for (const { p, x } of oracle.quantile) expectClose(normalQuantile(p), x, 1e-9, 1e-12);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
  });

  it('rejects NaN and p outside [0, 1]', () => {
    expect(rangeErrorOf(() => normalCdf(NaN))).toMatch(/x is NaN/);
    expect(rangeErrorOf(() => normalQuantile(1.5))).toMatch(/p must be in \[0, 1\]/);
    expect(rangeErrorOf(() => normalQuantile(NaN))).toMatch(/p must be in \[0, 1\]/);
    expect(rangeErrorOf(() => twoSidedPValue(NaN))).toMatch(/z is NaN/);
  });
});
