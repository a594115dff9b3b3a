// The SQL of a score's calibration bin, defined once: stats/calibration.ts's calibrationBin, expression for expression.

/**
 * The number of calibration bins B in every query that bins scores: the `cal_bins` parameter.
 */
export const CAL_BINS_PARAM = '{cal_bins:UInt16}';

/**
 * The SQL (a UInt16) of the bin [k/B, (k+1)/B) of score column `score`, with B = `{cal_bins:UInt16}` and the edges
 * k/B as Float64 divisions (the numbers JavaScript's `k / B` gives): the k with k/B ≤ s < (k+1)/B, a score of 1 in the
 * last bin. floor(s·B) alone misses by one next to an edge (0.57·100 = 56.999…), so it is only the first guess k0,
 * corrected by one step against the two edges around it: k0 + (s ≥ (k0+1)/B) − (s < k0/B). A score outside [0, 1]
 * (NaN, ±Inf included) takes bin 0, so no integer conversion sees NaN or Inf; queries keep such scores out of the sums.
 */
export function calibrationBinSql(score: string): string {
  const b = CAL_BINS_PARAM;
  const s = `if(${score} >= 0 AND ${score} <= 1, ${score}, 0)`;
  const k0 = `least(${b} - 1, floor(${s} * ${b}))`;
  return `toUInt16(least(${b} - 1, ${k0} + (${s} >= (${k0} + 1) / ${b}) - (${s} < ${k0} / ${b})))`;
}

/** Expands `{{cal_bin:COLUMN}}` (COLUMN may be qualified: `m.score`) to calibrationBinSql(COLUMN). */
export function expandCalibrationBins(text: string): string {
  return text.replace(/\{\{cal_bin:([a-z_][a-z_0-9]*(?:\.[a-z_][a-z_0-9]*)?)\}\}/g, (_m, column: string) => calibrationBinSql(column));
}
