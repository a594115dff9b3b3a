import { describe, expect, it } from 'vitest';
import { calibrationTest } from '../../src/stats/hosmer-lemeshow.js';
import type { CalibrationCase } from './calibration.test.js';
import { expectClose, fixture, rangeErrorOf } from './support.js';

// Oracle: the statistic evaluated in numpy from the rows, p-value from scipy.stats.chi2.sf with
// df = usable bins (make_fixtures.py calibration_case); tolerance 1e-9 relative.
const oracle = fixture<CalibrationCase[]>('calibration');

describe('calibrationTest', () => {
  it('matches numpy/scipy on calibrated, miscalibrated and sparse data (with exact 0 and 1 scores)', () => {
    for (const c of oracle) {
      const result = calibrationTest(c.bins);
      expectClose(result.statistic, c.test.statistic);
      expect(result.df).toBe(c.test.df);
      expectClose(result.pValue, c.test.pValue);
    }
  });

  it('skips bins with no Bernoulli variance (all scores 0 or all 1) and lowers df', () => {
    const result = calibrationTest([
      { count: 3, sumScore: 0, sumLabel: 1 },
      { count: 0, sumScore: 0, sumLabel: 0 },
      { count: 4, sumScore: 2, sumLabel: 3 },
      { count: 2, sumScore: 2, sumLabel: 2 },
    ]);
    expect(result.df).toBe(1);
    expectClose(result.statistic, 1 / (2 * 0.5), 1e-12);
  });

  it('returns statistic 0, df 0, p 1 when no bin is usable', () => {
    expect(calibrationTest([{ count: 5, sumScore: 5, sumLabel: 4 }])).toEqual({ statistic: 0, df: 0, pValue: 1 });
  });

  it('rejects invalid bin sums like calibrationFromBins', () => {
    expect(rangeErrorOf(() => calibrationTest([]))).toMatch(/calibrationTest: bins is empty/);
    expect(rangeErrorOf(() => calibrationTest([{ count: 1, sumScore: NaN, sumLabel: 0 }]))).toMatch(/sumScore is NaN/);
  });
});
