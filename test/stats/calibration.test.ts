import { describe, expect, it } from 'vitest';
import { calibrationBin, calibrationError, calibrationFromBins } from '../../src/stats/calibration.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: ECE/MCE/Brier and per-bin sums computed row by row in numpy (make_fixtures.py
// calibration_case); tolerance 1e-9 relative (1e-12 absolute for values near 0).
export interface CalibrationCase {
  binsCount: number;
  scores: number[];
  labels: number[];
  ece: number;
  mce: number;
  brier: number;
  bins: {
    lo: number;
    hi: number;
    count: number;
    sumScore: number;
    sumLabel: number;
    sumSquaredError: number;
    meanScore: number | null;
    meanLabel: number | null;
  }[];
  test: { statistic: number; df: number; pValue: number };
}
const oracle = fixture<CalibrationCase[]>('calibration');

function expectMatches(result: ReturnType<typeof calibrationError>, expected: CalibrationCase): void {
  expectClose(result.ece, expected.ece, 1e-9, 1e-12);
  expectClose(result.mce, expected.mce, 1e-9, 1e-12);
  expectClose(result.brier, expected.brier);
  expect(result.bins).toHaveLength(expected.binsCount);
  result.bins.forEach((bin, k) => {
    const want = expected.bins[k]!;
    expect([bin.lo, bin.hi, bin.count]).toEqual([want.lo, want.hi, want.count]);
    if (want.meanScore === null || want.meanLabel === null) {
      expect(bin.meanScore).toBeNaN();
      expect(bin.meanLabel).toBeNaN();
    } else {
      expectClose(bin.meanScore, want.meanScore);
      expectClose(bin.meanLabel, want.meanLabel, 1e-9, 1e-12);
    }
  });
}

describe('calibrationError', () => {
  it('matches the numpy computation (ECE, MCE, Brier, every bin) to 1e-9 relative', () => {
    for (const c of oracle) expectMatches(calibrationError(c.scores, c.labels, { bins: c.binsCount }), c);
  });

  it('keeps all B bins: empty ones have count 0 and NaN means, and ECE/MCE ignore them', () => {
    const result = calibrationError([0.05, 0.95, 0.95], [0, 1, 0], { bins: 4 });
    expect(result.bins.map((b) => b.count)).toEqual([1, 0, 0, 2]);
    expect(result.bins[1]!.meanScore).toBeNaN();
    expectClose(result.ece, (0.05 + 2 * 0.45) / 3, 1e-12);
    expectClose(result.mce, 0.45, 1e-12);
  });

  it('puts a score of exactly 1 in the last bin and 0 in the first, and defaults to 10 bins', () => {
    const result = calibrationError([1, 0, 0.1], [1, 0, 0]);
    expect(result.bins).toHaveLength(10);
    expect(result.bins[9]).toEqual({ lo: 0.9, hi: 1, count: 1, meanScore: 1, meanLabel: 1 });
    expect(result.bins[0]!.count).toBe(1);
    expect(result.bins[1]!.count).toBe(1);
    expect(calibrationBin(1, 10)).toBe(9);
  });

  it('rejects mismatched lengths, no rows, NaN or out-of-range scores, non-0/1 labels and bins < 1', () => {
    expect(rangeErrorOf(() => calibrationError([0.1, 0.2], [1]))).toMatch(/same length \(2 vs 1\)/);
    expect(rangeErrorOf(() => calibrationError([], []))).toMatch(/scores is empty \(n = 0\)/);
    expect(rangeErrorOf(() => calibrationError([0.1, NaN], [1, 0]))).toMatch(/scores\[1\] is NaN/);
    expect(rangeErrorOf(() => calibrationError([1.2], [1]))).toMatch(/scores\[0\] is 1.2, outside \[0, 1\]/);
    expect(rangeErrorOf(() => calibrationError([0.5], [2]))).toMatch(/labels\[0\] is 2; labels must be 0 or 1/);
    expect(rangeErrorOf(() => calibrationError([0.5], [1], { bins: 0 }))).toMatch(/bins must be an integer ≥ 1/);
    expect(rangeErrorOf(() => calibrationError([0.5], [1], { bins: 2.5 }))).toMatch(/bins must be an integer ≥ 1/);
  });
});

describe('calibrationFromBins', () => {
  it('matches the numpy computation from the numpy bin sums, and calibrationError on the same rows', () => {
    for (const c of oracle) {
      const fromBins = calibrationFromBins(c.bins);
      expectMatches(fromBins, c);
      const fromRows = calibrationError(c.scores, c.labels, { bins: c.binsCount });
      // Same rows, sums in a different order (numpy vs a running sum): equal to rounding.
      expectClose(fromBins.ece, fromRows.ece, 1e-12, 1e-15);
      expectClose(fromBins.mce, fromRows.mce, 1e-12, 1e-15);
      expectClose(fromBins.brier, fromRows.brier, 1e-12);
    }
  });

  it('gives a NaN Brier score when bins lack sumSquaredError, and still ECE and MCE', () => {
    const result = calibrationFromBins([
      { count: 2, sumScore: 0.3, sumLabel: 0 },
      { count: 0, sumScore: 0, sumLabel: 0 },
    ]);
    expect(result.brier).toBeNaN();
    expectClose(result.ece, 0.15, 1e-12);
    expect(result.bins[1]).toEqual({ lo: 0.5, hi: 1, count: 0, meanScore: NaN, meanLabel: NaN });
  });

  it('rejects no bins, all-empty bins, NaN, negative counts and sums outside [0, count]', () => {
    const ok = { count: 1, sumScore: 0.5, sumLabel: 1 };
    expect(rangeErrorOf(() => calibrationFromBins([]))).toMatch(/need at least 1 bin/);
    expect(rangeErrorOf(() => calibrationFromBins([{ count: 0, sumScore: 0, sumLabel: 0 }]))).toMatch(/every bin is empty \(n = 0\)/);
    expect(rangeErrorOf(() => calibrationFromBins([ok, { ...ok, count: NaN }]))).toMatch(/bins\[1\]\.count is NaN/);
    expect(rangeErrorOf(() => calibrationFromBins([{ ...ok, count: -1 }]))).toMatch(/bins\[0\]\.count is -1; counts must be ≥ 0/);
    expect(rangeErrorOf(() => calibrationFromBins([{ ...ok, sumLabel: 2 }]))).toMatch(/bins\[0\]\.sumLabel is 2, outside \[0, count = 1\]/);
    expect(rangeErrorOf(() => calibrationFromBins([{ ...ok, sumSquaredError: -0.1 }]))).toMatch(/sumSquaredError is -0.1/);
  });
});
