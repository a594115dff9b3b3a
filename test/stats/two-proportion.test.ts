import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../../src/stats/two-proportion.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: pooled z in numpy, p-value 2·scipy.stats.norm.sf(|z|); tolerance 1e-9 relative.
interface ZCase {
  x1: number;
  n1: number;
  x2: number;
  n2: number;
  z: number;
  pValue: number;
}
const oracle = fixture<{ zTest: ZCase[] }>('proportions').zTest;

describe('twoProportionZTest', () => {
  it('matches numpy/scipy to 1e-9 relative, including p-values far below 1e-16', () => {
    for (const { x1, n1, x2, n2, z, pValue } of oracle) {
      const result = twoProportionZTest(x1, n1, x2, n2);
      expectClose(result.z, z, 1e-9, 1e-15);
      expectClose(result.pValue, pValue);
    }
    expect(oracle.some((c) => c.pValue < 1e-16)).toBe(true);
  });

  it('is antisymmetric in the windows', () => {
    const forward = twoProportionZTest(30, 100, 20, 90);
    const backward = twoProportionZTest(20, 90, 30, 100);
    expect(backward.z).toBe(-forward.z);
    expect(backward.pValue).toBe(forward.pValue);
  });

  it('returns z = 0, p = 1 when the pooled rate is 0 or 1 (se = 0)', () => {
    expect(twoProportionZTest(0, 50, 0, 80)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest(50, 50, 80, 80)).toEqual({ z: 0, pValue: 1 });
  });

  it('rejects n = 0, x > n, negative counts and NaN', () => {
    expect(rangeErrorOf(() => twoProportionZTest(0, 0, 1, 2))).toMatch(/n1 is 0/);
    expect(rangeErrorOf(() => twoProportionZTest(1, 2, 0, 0))).toMatch(/n2 is 0/);
    expect(rangeErrorOf(() => twoProportionZTest(3, 2, 1, 2))).toMatch(/x1 = 3 exceeds n1 = 2/);
    expect(rangeErrorOf(() => twoProportionZTest(1, 2, -1, 2))).toMatch(/x2 is -1; counts must be ≥ 0/);
    expect(rangeErrorOf(() => twoProportionZTest(NaN, 2, 1, 2))).toMatch(/x1 is NaN/);
  });
});
