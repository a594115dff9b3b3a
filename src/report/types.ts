// What a weekly report holds: every number the HTML, text and charts show, gathered once.
import type { AlertRecord } from '../alerts/types.js';
import type { IncidentRecord } from './incidents.js';
import type { Segment } from '../core/types.js';
import type { ReliabilityBin } from '../stats/index.js';
import type { ReportPeriod } from './period.js';

export type Week = 'current' | 'previous';

/** One value for the reported week and the week before; NaN (or undefined) where a week has no data. */
export interface WeekPair<T> {
  current: T;
  previous: T;
}

export interface PsiPeak {
  value: number;
  feature: string;
  segment: Segment;
  at: Date;
}

/** The four numbers at the top of the report, per model. */
export interface Headline {
  model: string;
  /** Live scoring events. */
  volume: WeekPair<number>;
  /** Approved / labeled, over matured events. */
  approvalRate: WeekPair<number>;
  /** Expected calibration error of the whole model over the week. */
  ece: WeekPair<number>;
  /** Highest PSI of any segment and feature in any cycle of the week (history). */
  worstPsi: WeekPair<PsiPeak | undefined>;
}

export interface RateCounts {
  events: number;
  labeled: number;
  approved: number;
  /** approved / labeled; NaN without labels. */
  rate: number;
}

/** A segment's approval rate this week against the week before, with its test. */
export interface RateChange {
  model: string;
  segment: Segment;
  current: RateCounts;
  previous: RateCounts;
  /** current.rate − previous.rate. */
  delta: number;
  /** Two-proportion z-test; NaN when either week is below the minimum volume (not tested). */
  pValue: number;
  /** Benjamini–Hochberg across the tested segments of the table. */
  qValue: number;
  significant: boolean;
}

/** Live traffic of one model in one hour. */
export interface HourPoint {
  model: string;
  week: Week;
  hour: Date;
  events: number;
  labeled: number;
  approved: number;
}

export interface Reliability {
  model: string;
  week: Week;
  ece: number;
  /** Calibrated events (labeled, valid score). */
  n: number;
  bins: ReliabilityBin[];
}

/** One model's labeled events with a valid score in one week: counts per score-grid cell by outcome, and their log loss. */
export interface WeekPerformance {
  model: string;
  week: Week;
  labeled: number;
  positives: number[];
  negatives: number[];
  /** Σ log loss and Σ of its squares (queries/performance.sql's rule). */
  logLoss: number;
  logLossSquares: number;
}

/** One model's AUC and mean log loss this week against the week before, and the unpaired DeLong test of the AUCs. */
export interface PerformanceChange {
  model: string;
  auc: WeekPair<number>;
  logLoss: WeekPair<number>;
  labeled: WeekPair<number>;
  /** Two-sided; NaN when a week lacks either outcome. */
  pValue: number;
}

export interface PsiSeries {
  model: string;
  feature: string;
  segment: Segment;
  peak: number;
  points: { hour: Date; value: number }[];
}

export interface ShadowSummary {
  model: string;
  shadowVersion: string;
  /** Latest verdict of the week. */
  verdict: string;
  reasons: string[];
  at: Date;
  cycles: { promote: number; hold: number; reject: number };
  agreement?: number;
  aucLive?: number;
  aucShadow?: number;
  aucPValue?: number;
}

/** An experiment seen this week (two live versions side by side): its latest verdict and lift, and the cycles per verdict. */
export interface ExperimentSummary {
  model: string;
  control: string;
  treatment: string;
  /** Latest verdict of the week: ship, continue or rollback. */
  verdict: string;
  reasons: string[];
  at: Date;
  cycles: { ship: number; continue: number; rollback: number };
  /** Latest approval lift (treatment − control) and its interval; absent before outcomes matured. */
  lift?: number;
  lo?: number;
  hi?: number;
}

export interface Note {
  level: 'info' | 'warning' | 'critical';
  text: string;
}

export interface Coverage {
  cycles: number;
  firstAt?: Date;
  lastAt?: Date;
  psiRows: number;
  shadowRows: number;
  qualityRows: number;
}

export interface ReportData {
  period: ReportPeriod;
  /** Volume, approval and calibration: from the hourly rollup, or one join of the raw tables. */
  trafficSource: 'rollup' | 'raw';
  models: string[];
  headline: Headline[];
  hourly: HourPoint[];
  regions: RateChange[];
  /** The issuers that moved most: significant ones first. */
  issuers: RateChange[];
  /** Issuers with enough volume in both weeks to be tested. */
  issuersTested: number;
  reliability: Reliability[];
  /** The live model's AUC and log loss on matured labels, per model, against the week before. */
  performance: PerformanceChange[];
  psi: PsiSeries[];
  alerts: AlertRecord[];
  /** The alerts grouped as on-call saw them: one incident (or roll-up) per Slack thread. */
  incidents: IncidentRecord[];
  shadow: ShadowSummary[];
  experiments: ExperimentSummary[];
  quality: Note[];
  coverage: WeekPair<Coverage>;
  /** What the report could not show and why, in words (fresh install, no shadow, …). */
  missing: string[];
  settings: { psiWarning: number; psiCritical: number; fdr: number; minVolume: number; maturityMs: number };
}
