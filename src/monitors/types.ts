// What a cycle produces: per-segment values, the findings among them, shadow verdicts and data quality.

export type MonitorName = 'psi' | 'calibration' | 'approval_rate' | 'shadow' | 'quality';
export type Severity = 'ok' | 'warning' | 'critical';

/** A segment's values, keyed by the configured segment column names (e.g. `{ issuer, region }`). */
export type Segment = Record<string, string>;

/** A time window `[from, to)`. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export interface CycleWindows {
  reference: TimeWindow;
  current: TimeWindow;
  /** Label-based monitors (calibration, approval) use the windows shifted back by the maturity delay. */
  matured: { reference: TimeWindow; current: TimeWindow };
}

/**
 * One judged value of one monitor for one model × segment (× feature): every evaluated
 * segment gets one, whatever its severity; findings are the ones at warning or critical.
 */
export interface Evaluation {
  monitor: MonitorName;
  model: string;
  segment: Segment;
  /** `score` or a feature name for psi; the statistic's name for other monitors (e.g. `ece`, `delta`). */
  feature: string;
  /** The statistic judged against the threshold (PSI, ECE, approval-rate change, …). */
  value: number;
  /** The threshold the severity was decided against (critical's when critical, else warning's). */
  threshold: number;
  severity: Severity;
  nCurrent: number;
  nReference: number;
  /** p-value of the significance test behind the verdict, when there is one. */
  pValue?: number;
  /** BH-adjusted p-value across the cycle, when the monitor takes part in FDR control. */
  qValue?: number;
  /** Monitor-specific numbers for messages and dashboards (rates, intervals, bins, …). */
  details?: Record<string, unknown>;
}

/** An evaluation at warning or critical: what `run --json` lists and alerts are made of. */
export type Finding = Evaluation & { severity: 'warning' | 'critical' };

export type ShadowVerdictKind = 'promote' | 'hold' | 'reject';

export interface ShadowVerdict {
  model: string;
  shadowVersion: string;
  verdict: ShadowVerdictKind;
  reasons: string[];
  /** Agreement rate of decisions on transactions scored by both. */
  agreement?: number;
  details?: Record<string, unknown>;
}

export interface QualitySummary {
  rows: number;
  badScores: number;
  missingOutcomes: number;
  duplicates: number;
  nullScores?: number;
  futureEvents?: number;
  orphanOutcomes?: number;
}

/** Everything one cycle computed, before any sink sees it. */
export interface CycleResult {
  at: Date;
  windows: CycleWindows;
  models: string[];
  evaluations: Evaluation[];
  findings: Finding[];
  shadow: ShadowVerdict[];
  quality: QualitySummary;
  /** Per model: overall approval rates and the mix/rate decomposition of their change. */
  approval?: Record<string, unknown>[];
  durationMs: number;
}

export function isFinding(evaluation: Evaluation): evaluation is Finding {
  return evaluation.severity === 'warning' || evaluation.severity === 'critical';
}
