import { describe, expect, it } from 'vitest';
import { aucWithDeLong } from '../../src/stats/delong.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracles: a straightforward O(m·n) numpy implementation of DeLong's structural components
// (make_fixtures.py delong_naive: ψ = 1, ½, 0 over all pairs, np.cov with m − 1 / n − 1, p from
// scipy.stats.norm) and scipy.stats.mannwhitneyu U/(m·n) for each AUC. Tolerance 1e-9 relative
// (1e-12 absolute for z near 0).
export interface DeLongCase {
  scoresA: number[];
  scoresB: number[];
  labels: number[];
  aucA: number;
  aucB: number;
  z: number;
  pValue: number;
  aucAMannWhitney: number;
  aucBMannWhitney: number;
}
const oracle = fixture<DeLongCase[]>('delong');

describe('aucWithDeLong', () => {
  it('matches the O(m·n) numpy DeLong and Mann–Whitney AUCs to 1e-9, with and without heavy ties', () => {
    for (const c of oracle) {
      const result = aucWithDeLong(c.scoresA, c.scoresB, c.labels);
      expectClose(result.aucA, c.aucA);
      expectClose(result.aucB, c.aucB);
      expectClose(result.aucA, c.aucAMannWhitney);
      expectClose(result.aucB, c.aucBMannWhitney);
      expectClose(result.z, c.z, 1e-9, 1e-12);
      expectClose(result.pValue, c.pValue);
    }
  });

  it('counts ties between a positive and a negative as ½', () => {
    const result = aucWithDeLong([0.5, 0.5, 0.2, 0.9], [0.1, 0.9, 0.3, 0.4], [1, 0, 0, 1]);
    // A: positives 0.5, 0.9 vs negatives 0.5, 0.2 → (½ + 1 + 1 + 1)/4
    expect(result.aucA).toBe(0.875);
  });

  it('returns z = 0, p = 1 for identical scores (se = 0)', () => {
    const { scoresA, labels } = oracle[0]!;
    const result = aucWithDeLong(scoresA, scoresA, labels);
    expect(result.aucA).toBe(result.aucB);
    expect([result.z, result.pValue]).toEqual([0, 1]);
  });

  it('flips the sign of z when A and B swap', () => {
    const { scoresA, scoresB, labels } = oracle[1]!;
    const forward = aucWithDeLong(scoresA, scoresB, labels);
    const backward = aucWithDeLong(scoresB, scoresA, labels);
    expectClose(backward.z, -forward.z, 1e-12);
  });

  it('rejects length mismatch, no rows, NaN, labels not 0/1, one class only, and fewer than 2 per class', () => {
    expect(rangeErrorOf(() => aucWithDeLong([1, 2], [1, 2], [1]))).toMatch(/scoresA and labels must have the same length/);
    expect(rangeErrorOf(() => aucWithDeLong([1], [1, 2], [1]))).toMatch(/scoresB and labels must have the same length/);
    expect(rangeErrorOf(() => aucWithDeLong([], [], []))).toMatch(/labels is empty \(n = 0\)/);
    expect(rangeErrorOf(() => aucWithDeLong([1, NaN], [1, 2], [0, 1]))).toMatch(/scoresA\[1\] is NaN/);
    expect(rangeErrorOf(() => aucWithDeLong([1, 2], [1, Infinity], [0, 1]))).toMatch(/scoresB\[1\] is Infinity/);
    expect(rangeErrorOf(() => aucWithDeLong([1, 2], [1, 2], [0, 0.5]))).toMatch(/labels\[1\] is 0.5; labels must be 0 or 1/);
    expect(rangeErrorOf(() => aucWithDeLong([1, 2], [1, 2], [1, 1]))).toMatch(/one class only \(2 positives, 0 negatives\)/);
    expect(rangeErrorOf(() => aucWithDeLong([1, 2, 3], [1, 2, 3], [1, 0, 0]))).toMatch(/at least 2 positives and 2 negatives/);
  });
});
