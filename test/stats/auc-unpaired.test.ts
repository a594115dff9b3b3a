import { describe, expect, it } from 'vitest';
import { histogramAuc, unpairedAucTest, type LabelHistogram } from '../../src/stats/auc-unpaired.js';
import { expectClose, fixture, rangeErrorOf, seededRandom } from './support.js';

// Oracles: (1) R pROC's roc.test(method = "delong", paired = FALSE) and var(method = "delong") on raw rows at the
// cells' midpoints (auc_unpaired.R): 1e-12 relative on AUCs, variances and z, 1e-10 on the p-value, against
// 2Φ(−|D|) of pROC's statistic D (pROC's own p-value is a t's, kept as pValueT). Measured: 6e-16 on AUCs and
// variances, 4e-14 on z, 3e-13 on p-values (the tolerances leave ~100×); (2) DeLong's placements counted
// pair by pair over rows, O(m·n), in this file; (3) Hanley & McNeil (1982), Table I: area 0.893.
interface UnpairedCase {
  name: string;
  a: LabelHistogram;
  b: LabelHistogram;
  aucA: number;
  aucB: number;
  varianceA: number;
  varianceB: number;
  z: number;
  pValue: number;
  pValueT: number;
  df: number;
}
const oracle = fixture<UnpairedCase[]>('auc_unpaired');

/** DeLong's AUC and variance from rows by comparing every positive with every negative. */
function bruteForce({ positives, negatives }: LabelHistogram) {
  const rows = (counts: ArrayLike<number>) => Array.from(counts).flatMap((count, cell) => Array<number>(count).fill(cell));
  const x = rows(positives);
  const y = rows(negatives);
  const kernel = (p: number, q: number) => (p > q ? 1 : p === q ? 0.5 : 0);
  const v10 = x.map((p) => y.reduce((s, q) => s + kernel(p, q), 0) / y.length);
  const v01 = y.map((q) => x.reduce((s, p) => s + kernel(p, q), 0) / x.length);
  const mean = (v: number[]) => v.reduce((s, value) => s + value, 0) / v.length;
  const variance = (v: number[]) => v.reduce((s, value) => s + (value - mean(v)) ** 2, 0) / (v.length - 1);
  return { auc: mean(v10), variance: variance(v10) / x.length + variance(v01) / y.length };
}

describe('unpairedAucTest', () => {
  it.each(oracle.map((c) => [c.name, c] as const))('matches pROC on raw rows at the cell midpoints (%s)', (_name, c) => {
    const result = unpairedAucTest(c.a, c.b);
    expectClose(result.aucA, c.aucA, 1e-12);
    expectClose(result.aucB, c.aucB, 1e-12);
    expectClose(result.varianceA, c.varianceA, 1e-12);
    expectClose(result.varianceB, c.varianceB, 1e-12);
    expectClose(result.z, c.z, 1e-12);
    expectClose(result.pValue, c.pValue, 1e-10);
    expect(result.delta).toBe(result.aucA - result.aucB);
    expect(result.se).toBe(Math.sqrt(result.varianceA + result.varianceB));
    // pROC's unpaired p-value is a t's with Welch–Satterthwaite df: never below the normal one.
    expect(c.pValueT).toBeGreaterThanOrEqual(result.pValue);
  });

  it('reproduces Hanley & McNeil (1982), Table I: area 0.893 for 51 abnormal and 58 normal CT ratings', () => {
    const result = histogramAuc({ positives: [3, 2, 2, 11, 33], negatives: [33, 6, 6, 11, 2] });
    expect(result.auc.toFixed(3)).toBe('0.893');
    expect([result.nPositive, result.nNegative]).toEqual([51, 58]);
    // DeLong's se on these ratings (pROC gives the same, fixture case "Hanley-McNeil …").
    expect(Math.sqrt(result.variance).toFixed(4)).toBe('0.0307');
  });

  it('equals DeLong counted pair by pair on random sparse histograms', () => {
    const uniform = seededRandom(19);
    for (let trial = 0; trial < 20; trial++) {
      const cells = 1 + Math.floor(uniform() * 12);
      const draw = () => Array.from({ length: cells }, () => (uniform() < 0.3 ? 0 : Math.floor(uniform() * 9)));
      const histogram = { positives: draw(), negatives: draw() };
      const total = (v: number[]) => v.reduce((s, c) => s + c, 0);
      if (total(histogram.positives) < 2 || total(histogram.negatives) < 2) continue;
      const result = histogramAuc(histogram);
      const expected = bruteForce(histogram);
      expectClose(result.auc, expected.auc, 1e-12);
      expectClose(result.variance, expected.variance, 1e-10, 1e-15);
    }
  });

  it('is unchanged by empty cells and mirrors when the samples swap', () => {
    const [c] = oracle;
    const base = unpairedAucTest(c!.a, c!.b);
    const pad = ({ positives, negatives }: LabelHistogram): LabelHistogram => ({
      positives: [0, ...Array.from(positives), 0, 0],
      negatives: [0, ...Array.from(negatives), 0, 0],
    });
    const padded = unpairedAucTest(pad(c!.a), pad(c!.b));
    for (const key of ['aucA', 'aucB', 'varianceA', 'varianceB', 'z', 'pValue'] as const) expectClose(padded[key], base[key], 1e-14);
    const swapped = unpairedAucTest(c!.b, c!.a);
    expect(swapped.delta).toBe(-base.delta);
    expect(swapped.z).toBe(-base.z);
    expect(swapped.pValue).toBe(base.pValue);
  });

  it('returns NaN for an AUC without positives or negatives, and NaN for z and the p-value', () => {
    const b = { positives: [0, 2, 3], negatives: [4, 1, 0] };
    for (const a of [{ positives: [0, 0, 0], negatives: [3, 2, 1] }, { positives: [1, 2, 0], negatives: [0, 0, 0] }]) {
      const result = unpairedAucTest(a, b);
      expect([result.aucA, result.varianceA, result.delta, result.se, result.z, result.pValue].every(Number.isNaN)).toBe(true);
      expect(result.aucB).toBeCloseTo((2 * 4.5 + 3 * 5) / 25, 14); // cell 1: 4 negatives below, 1 tied
      expect(Number.isFinite(result.varianceB)).toBe(true);
    }
    expect(histogramAuc({ positives: [0, 0], negatives: [0, 0] })).toEqual({ auc: NaN, variance: NaN, nPositive: 0, nNegative: 0 });
  });

  it('gives an AUC but a NaN variance with one positive or one negative (DeLong divides by m − 1 and n − 1)', () => {
    const result = histogramAuc({ positives: [0, 0, 1], negatives: [2, 1, 0] });
    expect(result.auc).toBe(1);
    expect(result.variance).toBeNaN();
    expect(unpairedAucTest({ positives: [0, 0, 1], negatives: [2, 1, 0] }, { positives: [0, 2, 3], negatives: [4, 1, 0] }).pValue).toBeNaN();
  });

  it('handles a single cell: AUC ½ with variance 0; equal AUCs give z = 0, p = 1; a different one z = ±∞, p = 0', () => {
    const tied = { positives: [7], negatives: [40] };
    expect(histogramAuc(tied)).toEqual({ auc: 0.5, variance: 0, nPositive: 7, nNegative: 40 });
    const same = unpairedAucTest(tied, { positives: [3], negatives: [9] });
    expect([same.delta, same.se, same.z, same.pValue]).toEqual([0, 0, 0, 1]);
    const oneCellOfTwo = { positives: [0, 7], negatives: [0, 40] };
    const perfect = { positives: [0, 5], negatives: [30, 0] };
    const apart = unpairedAucTest(oneCellOfTwo, perfect);
    expect([apart.aucA, apart.aucB, apart.se, apart.z, apart.pValue]).toEqual([0.5, 1, 0, -Infinity, 0]);
  });

  it('rejects mismatched cells, bad counts and an empty grid, naming the argument', () => {
    const ok = { positives: [1, 2], negatives: [2, 1] };
    expect(rangeErrorOf(() => unpairedAucTest({ positives: [1, 2], negatives: [1, 2, 3] }, ok))).toMatch(
      /^unpairedAucTest: a\.positives and a\.negatives must have the same length \(2 vs 3\)/,
    );
    expect(rangeErrorOf(() => unpairedAucTest(ok, { positives: [1], negatives: [1] }))).toMatch(/a\.positives and b\.positives must have the same length/);
    expect(rangeErrorOf(() => unpairedAucTest(ok, { positives: [1, -1], negatives: [1, 1] }))).toMatch(
      /b\.positives\[1\] is -1; counts must be integers ≥ 0/,
    );
    expect(rangeErrorOf(() => histogramAuc({ positives: [1, 0.5], negatives: [1, 1] }))).toMatch(/^histogramAuc: histogram\.positives\[1\] is 0.5/);
    expect(rangeErrorOf(() => histogramAuc({ positives: [1, 1], negatives: [NaN, 1] }))).toMatch(/negatives\[0\] is NaN/);
    expect(rangeErrorOf(() => histogramAuc({ positives: [], negatives: [] }))).toMatch(/histogram has no cells/);
  });
});
