import { describe, expect, it } from 'vitest';
import { aucWithDeLong } from '../../src/stats/delong.js';
import { aucWithDeLongFromHistogram, type JointHistogramCell } from '../../src/stats/delong-histogram.js';
import { expectClose, fixture, rangeErrorOf, seededNormal, seededRandom } from './support.js';

// Oracles: (1) numpy's O(m·n) DeLong on the bin indices (make_fixtures.py, fixture delong_histogram),
// tolerance 1e-9 relative; (2) aucWithDeLong on the same binned rows — the same numbers by
// construction, to 1e-12 (p-value 1e-10); (3) the raw-score AUC, within the ½·same-bin-pair bound.
interface HistogramCase {
  grid: number;
  scoresA: number[];
  scoresB: number[];
  labels: number[];
  binned: { aucA: number; aucB: number; z: number; pValue: number };
  raw: { aucA: number; aucB: number; z: number; pValue: number };
}
const oracle = fixture<HistogramCase[]>('delong_histogram');

const binOf = (score: number, grid: number) => Math.min(grid - 1, Math.floor(score * grid));

/** Joint histograms keyed by cell, as the rollup would return them. */
function histograms(scoresA: number[], scoresB: number[], labels: number[], grid: number) {
  const byLabel = [new Map<string, JointHistogramCell>(), new Map<string, JointHistogramCell>()];
  labels.forEach((label, i) => {
    const a = binOf(scoresA[i]!, grid);
    const b = binOf(scoresB[i]!, grid);
    const cells = byLabel[label]!;
    const cell = cells.get(`${a},${b}`) ?? { a, b, count: 0 };
    cell.count++;
    cells.set(`${a},${b}`, cell);
  });
  return { positives: byLabel[1]!.values(), negatives: byLabel[0]!.values() };
}

/** ½ · share of (positive, negative) pairs in the same bin: the most binning can move an AUC. */
function binningBound(scores: number[], labels: number[], grid: number): number {
  const pos = new Float64Array(grid);
  const neg = new Float64Array(grid);
  labels.forEach((label, i) => (label === 1 ? pos : neg)[binOf(scores[i]!, grid)]!++);
  const m = pos.reduce((s, c) => s + c, 0);
  const n = neg.reduce((s, c) => s + c, 0);
  return (0.5 * pos.reduce((s, c, g) => s + c * neg[g]!, 0)) / (m * n);
}

describe('aucWithDeLongFromHistogram', () => {
  it.each(oracle.map((c) => [c.grid, c] as const))('matches numpy DeLong on the binned scores (G = %i)', (grid, c) => {
    const result = aucWithDeLongFromHistogram(histograms(c.scoresA, c.scoresB, c.labels, grid));
    expectClose(result.aucA, c.binned.aucA);
    expectClose(result.aucB, c.binned.aucB);
    expectClose(result.z, c.binned.z);
    expectClose(result.pValue, c.binned.pValue);
    expect(result.nPositive + result.nNegative).toBe(c.labels.length);
    expect(result.nPositive).toBe(c.labels.filter((l) => l === 1).length);
  });

  it('equals aucWithDeLong on the binned rows (each bin a tied value)', () => {
    const c = oracle[1]!;
    const fromRows = aucWithDeLong(c.scoresA.map((s) => binOf(s, c.grid)), c.scoresB.map((s) => binOf(s, c.grid)), c.labels);
    const fromHistogram = aucWithDeLongFromHistogram(histograms(c.scoresA, c.scoresB, c.labels, c.grid));
    // Same sums in another order: 1e-12 on the AUCs and z, 1e-10 on the p-value (its relative error is ~z² times z's).
    for (const key of ['aucA', 'aucB', 'z'] as const) expectClose(fromHistogram[key], fromRows[key], 1e-12);
    expectClose(fromHistogram.pValue, fromRows.pValue, 1e-10);
  });

  it('stays within the ½·same-bin-pair bound of the raw-score AUC (fixture rows, numpy raw DeLong)', () => {
    for (const c of oracle) {
      const result = aucWithDeLongFromHistogram(histograms(c.scoresA, c.scoresB, c.labels, c.grid));
      expect(Math.abs(result.aucA - c.raw.aucA)).toBeLessThanOrEqual(binningBound(c.scoresA, c.labels, c.grid));
      expect(Math.abs(result.aucB - c.raw.aucB)).toBeLessThanOrEqual(binningBound(c.scoresB, c.labels, c.grid));
    }
  });

  // Measured with this seed (G = 1000, 20 000 rows, 30% positives, logistic-normal scores):
  // |ΔAUC_A| = 3.7e-6, |ΔAUC_B| = 2.3e-7 against bounds 5.0e-4 and 4.7e-4; z = −9.284 raw, Δz = 1.1e-3.
  it('is within 1e-5 of the raw-score AUC with G = 1000 on 20 000 rows', () => {
    const uniform = seededRandom(2024);
    const normal = seededNormal(uniform);
    const labels: number[] = [];
    const scoresA: number[] = [];
    const scoresB: number[] = [];
    const logistic = (x: number) => 1 / (1 + Math.exp(-x));
    for (let i = 0; i < 20_000; i++) {
      const label = uniform() < 0.3 ? 1 : 0;
      const common = normal();
      labels.push(label);
      scoresA.push(logistic(1.0 * label + common - 0.5));
      scoresB.push(logistic(1.1 * label + 0.8 * common + 0.6 * normal() - 0.5));
    }
    const raw = aucWithDeLong(scoresA, scoresB, labels);
    const binned = aucWithDeLongFromHistogram(histograms(scoresA, scoresB, labels, 1000));
    const errorA = Math.abs(binned.aucA - raw.aucA);
    const errorB = Math.abs(binned.aucB - raw.aucB);
    expect(errorA).toBeLessThanOrEqual(binningBound(scoresA, labels, 1000));
    expect(errorB).toBeLessThanOrEqual(binningBound(scoresB, labels, 1000));
    expect(Math.max(errorA, errorB)).toBeLessThan(1e-5);
    expect(Math.abs(binned.z - raw.z)).toBeLessThan(0.01);
  });

  it('accepts arrays, adds up repeated cells, ignores zero counts and the order of cells', () => {
    const positives = [
      { a: 3, b: 2, count: 2 },
      { a: 1, b: 2, count: 1 },
    ];
    const negatives = [
      { a: 0, b: 1, count: 2 },
      { a: 1, b: 3, count: 1 },
    ];
    const base = aucWithDeLongFromHistogram({ positives, negatives });
    const split = aucWithDeLongFromHistogram({
      positives: [{ a: 1, b: 2, count: 1 }, { a: 3, b: 2, count: 1 }, { a: 3, b: 2, count: 1 }, { a: 9, b: 9, count: 0 }],
      negatives: [...negatives].reverse(),
    });
    for (const key of ['aucA', 'aucB', 'z', 'pValue'] as const) expectClose(split[key], base[key], 1e-14);
    // A: positives in bins 3, 3, 1 vs negatives in 0, 0, 1 → 8 wins and one tie out of 9 pairs.
    expect(base.aucA).toBeCloseTo(8.5 / 9, 14);
  });

  it('returns z = 0, p = 1 when A and B share every bin', () => {
    const cells = [{ a: 1, b: 1, count: 3 }, { a: 4, b: 4, count: 2 }];
    const result = aucWithDeLongFromHistogram({ positives: cells, negatives: [{ a: 2, b: 2, count: 5 }] });
    expect([result.z, result.pValue]).toEqual([0, 1]);
  });

  it('rejects bad bin indices and counts, one class only, and fewer than 2 per class', () => {
    const ok = [{ a: 0, b: 0, count: 2 }];
    expect(rangeErrorOf(() => aucWithDeLongFromHistogram({ positives: [{ a: -1, b: 0, count: 1 }], negatives: ok }))).toMatch(
      /positives\[0\]\.a is -1; bin indices must be integers ≥ 0/,
    );
    expect(rangeErrorOf(() => aucWithDeLongFromHistogram({ positives: ok, negatives: [{ a: 0, b: 1.5, count: 1 }] }))).toMatch(
      /negatives\[0\]\.b is 1.5/,
    );
    expect(rangeErrorOf(() => aucWithDeLongFromHistogram({ positives: ok, negatives: [{ a: 0, b: 0, count: NaN }] }))).toMatch(
      /negatives\[0\]\.count is NaN; counts must be integers ≥ 0/,
    );
    expect(rangeErrorOf(() => aucWithDeLongFromHistogram({ positives: ok, negatives: [] }))).toMatch(/one class only/);
    expect(rangeErrorOf(() => aucWithDeLongFromHistogram({ positives: ok, negatives: [{ a: 1, b: 1, count: 1 }] }))).toMatch(
      /at least 2 positives and 2 negatives/,
    );
  });
});
