// The shared vocabulary at the bottom of the data flow: windows, segments, evaluations and what a cycle produces.

export type Severity = 'ok' | 'warning' | 'critical';

/** A segment's values, keyed by the configured segment column names (e.g. `{ issuer, region }`). */
export type Segment = Record<string, string>;

/** A time window `[from, to)`. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/** One of the cycle's current windows, named by its length (`15m`, `1h`, `1d`; `fixed` for fixed dates). */
export interface CurrentWindow {
  name: string;
  current: TimeWindow;
  /** The same window shifted back by the maturity delay, for label-based monitors. */
  matured: TimeWindow;
}

export interface CycleWindows {
  reference: TimeWindow;
  /** The longest current window (the only one unless `windows.current` lists several). */
  current: TimeWindow;
  /** Label-based monitors (calibration, approval) use the windows shifted back by the maturity delay. */
  matured: { reference: TimeWindow; current: TimeWindow };
  /** Every current window, shortest first; the last is `current`. Each is judged against the one reference. */
  currents: CurrentWindow[];
  /**
   * When the windows are narrowed to one current window (judgeEachWindow), the cycle's whole window set: the read
   * seam answers for the set at once (one read of the reference and of the raw pieces for every window).
   */
  set?: readonly CurrentWindow[];
  /** The approved outcome's maturity (the shift of `matured`) and where it comes from: config, learned, default. */
  maturity?: { approved: number; source: 'config' | 'learned' | 'default' };
}

/**
 * One judged value of one monitor for one model × segment (× feature): every evaluated
 * segment gets one, whatever its severity; findings are the ones at warning or critical.
 */
export interface Evaluation<Details extends object = object> {
  /** The registered monitor's name (src/monitors/registry.ts); sinks look its presentation up by it. */
  monitor: string;
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
  /** Part of the identity: a shadow's evaluations are judged, keyed and announced per shadow version. */
  shadowVersion?: string;
  /**
   * The current window judged (`1h`), when `windows.current` lists several. Not part of an alert's identity: a
   * segment's alert follows whichever of its windows is strongest, so one incident is one alert.
   */
  window?: string;
  /** Monitor-specific numbers for messages and dashboards, typed by the monitor that made them. */
  details?: Details;
}

/** An evaluation at warning or critical: what `run --json` lists and alerts are made of. */
export type Finding<Details extends object = object> = Evaluation<Details> & { severity: 'warning' | 'critical' };

export type ShadowVerdictKind = 'promote' | 'hold' | 'reject';

/** The numbers behind a shadow's verdict, on the transactions both models scored; a number is absent when unknown. */
export interface ShadowFigures {
  liveVersions: string[];
  aucLive?: number;
  aucShadow?: number;
  /** Shadow − live, with DeLong's p-value and standard error. */
  deltaAuc?: number;
  pValue?: number;
  deltaAucSe?: number;
  eceLive?: number;
  eceShadow?: number;
  latencyP50Live?: number;
  latencyP50Shadow?: number;
  latencyP99Live?: number;
  latencyP99Shadow?: number;
  latencyLogRatioSe?: number;
  approvalRateLive?: number;
  approvalRateShadow?: number;
  /** Approve decisions the shadow adds (negative: removes), per 100 transactions both scored. */
  expectedApprovalChangePp?: number;
  meanScoreDelta?: number;
  /** Live decision → shadow decision → transactions. */
  flipMatrix: Record<string, Record<string, number>>;
  spearman?: number;
  nMatched: number;
  nLabeled: number;
  nPositive: number;
  /** Segments significantly worse under the shadow, largest first. */
  worseSegments: { segment: Segment; deltaAuc?: number; approvalChangePp?: number }[];
}

export interface ShadowVerdict {
  model: string;
  shadowVersion: string;
  verdict: ShadowVerdictKind;
  reasons: string[];
  /** Agreement rate of decisions on transactions scored by both. */
  agreement?: number;
  details?: Partial<ShadowFigures>;
}

export type ExperimentVerdictKind = 'ship' | 'continue' | 'rollback';

/** One arm of an experiment over its span: events (the allocation), labeled and approved ones, AUC and ECE. */
export interface ExperimentArm {
  version: string;
  events: number;
  labeled: number;
  approved: number;
  approvalRate: number;
  auc?: number;
  ece?: number;
  /** Shares of the arm's live events by decision. */
  decisionMix: { approve: number; decline: number; review: number; other: number };
  /** Latency quantiles (ms) from the log grid: within ½ % of the exact ones (aggregates/latency-grid.ts). */
  latencyP50?: number;
  latencyP99?: number;
}

/** A segment where the treatment lowers approvals beyond the guardrail margin, with its own interval. */
export interface GuardrailBreach {
  segment: Segment;
  lift: number;
  lo: number;
  hi: number;
  nControl: number;
  nTreatment: number;
}

/**
 * Two live versions of one model serving side by side (an A/B test or a canary), compared on approvals since the
 * treatment started (monitors/experiments/): the lift's anytime-valid interval, the allocation's sample-ratio test
 * against a declared split, the guardrails, and a verdict with its reasons.
 */
export interface ExperimentVerdict {
  model: string;
  control: string;
  treatment: string;
  verdict: ExperimentVerdictKind;
  reasons: string[];
  /** Treatment − control approval rate over the matured span, and its confidence sequence's bounds. */
  approvalLift: number;
  lo: number;
  hi: number;
  /** Always-valid p-value of "no sample ratio mismatch" against the declared split; null without one. */
  srmPValue: number | null;
  /** What blocked a verdict: a failed sample-ratio test. */
  blocked?: 'srm';
  /** First live event of the experiment (ISO time), and the end of its matured span. */
  since: string;
  until: string;
  /** Always-valid p-value of "no lift". */
  pValue: number;
  /** The declared split as shares (control, treatment), when config names one. */
  split?: { control: number; treatment: number };
  srmChiSquarePValue?: number;
  controlArm: ExperimentArm;
  treatmentArm: ExperimentArm;
  /** Unpaired DeLong test of the arms' AUCs on matured labels (treatment − control). */
  aucPValue?: number;
  guardrails: GuardrailBreach[];
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

/** How a model's overall approval rate moved, split into traffic moving between segments and segments changing. */
export interface ApprovalDecomposition {
  model: string;
  referenceRate: number;
  currentRate: number;
  change: number;
  /** Σ_s (w_cur,s − w_ref,s)·p_ref,s over segments in both windows, plus the effect of segments in one window only. */
  mix: number;
  /** Σ_s w_cur,s·(p_cur,s − p_ref,s) over segments present in both windows. */
  rate: number;
  nReference: number;
  nCurrent: number;
  pValue: number;
}

/**
 * The segments holding one value of a segment column (region APAC, card network Visa) shifting together on one
 * monitor × feature × window: a partial-conjunction test over their p-values (monitors/shared.ts) says at least
 * `atLeast` of them moved, not one strong segment alone. It never pages by itself: it tells the alert engine to
 * announce those segments' alerts as one roll-up.
 */
export interface SharedShift {
  model: string;
  /** The segment column and its shared value, e.g. `region` = `APAC`. */
  column: string;
  value: string;
  monitor: string;
  feature: string;
  window?: string;
  /** Segments with that value judged on this monitor × feature × window. */
  segments: number;
  /** Of those, segments at critical. */
  critical: number;
  /** The largest u for which "at least u of the segments shifted" holds at the cycle's FDR level. */
  atLeast: number;
  /** Partial-conjunction p-value of "at least two shifted". */
  pValue: number;
  /** Its BH-adjusted value across the cycle's shared-shift tests. */
  qValue: number;
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
  approval?: ApprovalDecomposition[];
  /** Experiments (two live versions of one model side by side) and their verdicts (monitors/experiments/). */
  experiments?: ExperimentVerdict[];
  /** Values of a segment column whose segments shifted together, at the cycle's FDR level (monitors/shared.ts). */
  shared?: SharedShift[];
  durationMs: number;
}

export function isFinding(evaluation: Evaluation): evaluation is Finding {
  return evaluation.severity === 'warning' || evaluation.severity === 'critical';
}
