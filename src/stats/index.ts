// Statistics: pure functions over numbers and aggregates (no I/O, no config).
export { psiFromCounts, psiNoiseFloor, type PsiOptions } from './psi.js';
export { chiSquareHomogeneity, type ChiSquareResult } from './homogeneity.js';
export {
  calibrationError,
  calibrationFromBins,
  calibrationBin,
  type CalibrationBinSums,
  type CalibrationOptions,
  type CalibrationResult,
  type ReliabilityBin,
} from './calibration.js';
export { calibrationTest } from './hosmer-lemeshow.js';
export { twoProportionZTest, type ZTestResult } from './two-proportion.js';
export { wilsonInterval, type Interval } from './wilson.js';
export { benjaminiHochberg, type FdrResult } from './benjamini-hochberg.js';
export { aucWithDeLong, type AucComparison } from './delong.js';
export {
  aucWithDeLongFromHistogram,
  type HistogramAucComparison,
  type JointHistogramCell,
  type JointHistograms,
} from './delong-histogram.js';
export {
  histogramAuc,
  unpairedAucTest,
  type HistogramAuc,
  type LabelHistogram,
  type UnpairedAucComparison,
} from './auc-unpaired.js';
export { spearmanCorrelation } from './rank-correlation.js';
export { normalCdf, normalQuantile, twoSidedPValue } from './normal.js';
export { chiSquareSurvival } from './chi-square.js';
export { partialConjunction, sharedCount } from './partial-conjunction.js';
export { logMixtureRatio, scanForChange, smoothedProportions, type ChangeScan, type ScanOptions } from './sequential.js';
export { welchMeanDifference, type MeanDifference, type SampleSums } from './welch.js';
