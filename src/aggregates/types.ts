// The seam between data and monitors: per-segment aggregates, whichever store layout serves them.
import type { CurrentWindow, CycleWindows, TimeWindow } from '../core/types.js';

/** A reference and a current window, compared (a CycleWindows is one; so is its `matured`). */
export interface WindowPair {
  reference: TimeWindow;
  current: TimeWindow;
}

/**
 * A pair as monitors ask for it, with the cycle's current windows where it has them (CycleWindows' `currents`, or
 * `set` once narrowed to one): the seam then reads the whole set at once and answers for the pair's current window.
 */
export type PairOfSet = WindowPair & { currents?: readonly CurrentWindow[]; set?: readonly CurrentWindow[] };

/** One reference and several current windows, read together by a read path. */
export interface WindowSet {
  reference: TimeWindow;
  currents: readonly TimeWindow[];
}

/** Event counts per PSI bin of one model × feature × segment in both windows. */
export interface BinnedSegment {
  model: string;
  /** `score`, or the feature's name in the features map. */
  feature: string;
  /** Segment values in the order of config.segments. */
  segment: string[];
  nReference: number;
  nCurrent: number;
  referenceBins: number[];
  currentBins: number[];
}

/** Sums over labeled events with a valid score that fall in one calibration bin. */
export interface CalibrationBinSums {
  count: number;
  sumScore: number;
  sumLabel: number;
  sumSquaredError: number;
}

export interface WindowLabels {
  /** Live events in the matured window. */
  events: number;
  /** Of those, events with an outcome known at `at`. */
  labeled: number;
  /** Of those, events the issuer approved. */
  approved: number;
  calibration: CalibrationBinSums[];
}

export interface LabelSegment {
  model: string;
  segment: string[];
  reference: WindowLabels;
  current: WindowLabels;
  /**
   * The minVolume rule (volume.ts), applied by the seam: `rate` when the segment is big enough (its labeled
   * reference events per 24 h at least minVolume) and the current window holds the test's floor of labeled events
   * (its approval rate is judged); `calibration` when, besides, the current window's calibration bins hold
   * minVolume events (its calibration is judged: Hosmer–Lemeshow's test needs more than a proportion test). Every segment is listed either way: the approval rate's mix/rate split
   * needs them all.
   */
  enough: { rate: boolean; calibration: boolean };
}

/**
 * One window's labeled live events with a score in [0, 1] (labels.sql's calibratable events), for the performance
 * monitor: counts per cell of the score grid by outcome (dense, SCORE_GRID_CELLS long; approved are positives), and
 * sums of the Brier score and the log loss (queries/performance.sql).
 */
export interface PerformanceWindow {
  labeled: number;
  positives: ArrayLike<number>;
  negatives: ArrayLike<number>;
  /** Σ (score − label)². */
  brier: number;
  /** Σ −[label·ln p + (1 − label)·ln(1 − p)], p the score clamped to [1e-15, 1 − 1e-15]; and Σ of its square. */
  logLoss: number;
  logLossSquares: number;
}

/** One model × segment's performance inputs in the reference and one current window (both matured). */
export interface PerformanceSegment {
  model: string;
  segment: string[];
  reference: PerformanceWindow;
  current: PerformanceWindow;
}

/** Score-grid cell counts (sparse) per five-minute strip of one segment, oldest first: score drift's sequential test's input. */
export interface ScoreStrips {
  model: string;
  segment: string[];
  /** Per five-minute strip, sparse cell counts: read-only, the rollup path hands out its strip cache's arrays. */
  strips: { cells: readonly number[]; counts: readonly number[] }[];
}

export interface QualityCounts {
  model: string;
  rows: number;
  nanScores: number;
  infScores: number;
  outOfRange: number;
  duplicates: number;
  futureEvents: number;
  referenceRows: number;
  matureEvents: number;
  missingOutcomes: number;
}

/** Labeled live events of one segment per five-minute strip of event time, oldest strip first. */
export interface LabelStrips {
  model: string;
  segment: string[];
  labeled: number[];
  approved: number[];
}

/**
 * The stored bins of one model's feature: a numeric feature's learned inner edges, or a categorical feature's
 * categories (most frequent first; any other value is bin 0, "other") with no edges.
 */
export interface FeatureEdges {
  model: string;
  feature: string;
  edges: number[];
  categories: string[];
  /** When just learned for a categorical feature: how many distinct values the reference had (more than `categories` past the cap). */
  distinct?: number;
}

export interface ScoreBinOptions {
  bins: number;
  /** Bin of each cell of the score grid (grid.ts) when edges are configured; empty for reference quantiles. */
  cellBins: readonly number[];
}

/** Transactions of one joint-histogram cell: live score in grid cell `live`, shadow score in cell `shadow`. */
export interface ShadowHistogramCell {
  live: number;
  shadow: number;
  /** Matched transactions in the current window (both scores valid). */
  current: number;
  /** Labeled transactions in the matured window, by outcome. */
  positive: number;
  negative: number;
}

/** Latency of one side over the current window, in ms: exact quantiles (NaN without rows) and the rows behind them. */
export interface LatencyQuantiles {
  n: number;
  p50: number;
  /** p98 and p99.5 bracket p99: their spread estimates the density there, hence p99's standard error. */
  p98: number;
  p99: number;
  p995: number;
}

/** Shadow vs live on the transactions both scored: one model × shadow version, whole model or one segment. */
export interface ShadowSegment {
  model: string;
  shadowVersion: string;
  /** Segment values in the order of config.segments; empty for the whole model. */
  segment: string[];
  liveVersions: string[];
  /** Current window: matched transactions, and those with both scores valid. */
  matched: number;
  scored: number;
  /** Σ (shadow score − live score) over the scored transactions. */
  sumScoreDelta: number;
  /** Current window: count per live decision × shadow decision (`approve`, `decline`, `review`, `other`). */
  flips: Record<string, Record<string, number>>;
  /** Matured window: matched transactions with an outcome and both scores valid, and the approved among them. */
  labeled: number;
  positives: number;
  /** Sparse joint histogram on the score grid; empty for segments too small to judge AUC. */
  histogram: ShadowHistogramCell[];
  calibrationLive: CalibrationBinSums[];
  calibrationShadow: CalibrationBinSums[];
  latencyLive: LatencyQuantiles;
  latencyShadow: LatencyQuantiles;
}

export interface ShadowOptions {
  calibrationBins: number;
  /** Segments get a joint histogram (per-segment AUC) with this many labeled rows and of each class. */
  segmentMinLabeled: number;
  segmentMinMinority: number;
}

/**
 * One live version of a model in the cycle's windows: which models a cycle evaluates, and which versions serve live
 * traffic side by side (experiments: src/monitors/experiments/).
 */
export interface LiveVersion {
  model: string;
  version: string;
  referenceEvents: number;
  currentEvents: number;
  /** Live events in the recent window (`recentWindow`): the version still serves. */
  recentEvents: number;
  /** Starts of the hours holding one of its live events in any of the windows, Unix ms, ascending. */
  hours: number[];
}

/** A live version's events in a window and the first one's time (Unix ms), when it has any. */
export interface Served {
  events: number;
  first?: number;
}

/**
 * One arm of an experiment in one segment: a live version's events over the experiment's matured span with labels
 * as of `at` (labels.sql's rule), the calibration bins' sums, the calibratable events per score-grid cell by
 * outcome (dense, SCORE_GRID_CELLS long) for the arm's AUC, and its decisions and latencies.
 */
export interface ArmSegment {
  model: string;
  version: string;
  segment: string[];
  events: number;
  labeled: number;
  approved: number;
  calibration: CalibrationBinSums[];
  positives: Float64Array;
  negatives: Float64Array;
  /** Live events by decision: approve, decline, review, other. */
  decisions: number[];
  /** Events with a latency, per cell of the log grid (aggregates/latency-grid.ts), sparse. */
  latencyCells: number[];
  latencyCounts: number[];
}

/**
 * A live version a drift question leaves out: the treatment of a running experiment (monitors/experiments/), so
 * psi, calibration, approval_rate, performance and ks judge the control like for like with the reference.
 */
export interface HeldOut {
  model: string;
  version: string;
}

/** Quality's question: the longest current window, the reference and their maturity shifts; `currents` so its label read is the set's. */
export type QualityWindows = Pick<CycleWindows, 'reference' | 'current' | 'matured' | 'currents'>;

/**
 * Where monitors get their numbers, for one cycle: each question is answered once per source (source.ts), so
 * monitors asking the same question share one read. The raw source reads the event tables; a rollup source reads
 * driftwatch's rollup. Windows are values the seam is asked for, never the seam's own. Segment rows are filtered by
 * the minVolume rule here, and only here (volume.ts; label rows carry the rule's verdict in `enough`).
 */
export interface AggregateSource {
  /** Models with live traffic in either window. */
  models(windows: WindowPair): Promise<string[]>;
  /** Per model × live version: events in either window and the recent one, and the first hour (one read with `models`). */
  liveVersions(windows: WindowPair): Promise<LiveVersion[]>;
  /**
   * Per model × live version (of `versions`) × segment, over `span` with labels as of `at` (queries/experiment_labels.sql):
   * the arms of experiments. `calibrationBins` is the configured count (the rollup folds those).
   */
  arms(span: TimeWindow, models: string[], versions: string[], at: Date): Promise<ArmSegment[]>;
  /** How `version` of `model` served live traffic within `within`: its events and the first one's time. */
  served(model: string, version: string, within: TimeWindow): Promise<Served>;
  /** `heldOut`, on this and the other drift questions: live versions left out (HeldOut), none by default. */
  scoreBins(windows: PairOfSet, models: string[], options: ScoreBinOptions, heldOut?: readonly HeldOut[]): Promise<BinnedSegment[]>;
  /** Learns bin edges of features over a reference window (queries/feature_edges.sql); nothing is stored. */
  learnFeatureEdges(reference: TimeWindow, models: string[], features: string[]): Promise<FeatureEdges[]>;
  /**
   * The stored bin edges of `features` of `models`; those not stored yet are learned over `reference` and stored
   * (feature-edges.ts), so bins never chase the data.
   */
  featureEdges(reference: TimeWindow, models: string[], features: string[]): Promise<FeatureEdges[]>;
  featureBins(windows: WindowPair, edges: FeatureEdges[]): Promise<BinnedSegment[]>;
  /** Label sums over `windows.matured` (the windows shifted back by the maturity delay), labels as of `at`. */
  labels(windows: Pick<PairOfSet, 'currents' | 'set'> & { matured: WindowPair }, models: string[], calibrationBins: number, at: Date, heldOut?: readonly HeldOut[]): Promise<LabelSegment[]>;
  /**
   * Labels per five-minute strip over `span` (strips counted back from its end; a span of whole strips), labels as
   * of `at`: the sequential test's input. Segments without a labeled event in the span are left out.
   */
  labelStrips(span: TimeWindow, models: string[], at: Date, heldOut?: readonly HeldOut[]): Promise<LabelStrips[]>;
  /**
   * Per-outcome score-grid counts and loss sums over `windows.matured` (labels as of `at`), for segments whose
   * reference holds minVolume labeled events per 24 h (volume.ts); the monitor judges the current window's classes.
   */
  performance(windows: Pick<PairOfSet, 'currents' | 'set'> & { matured: WindowPair }, models: string[], at: Date, heldOut?: readonly HeldOut[]): Promise<PerformanceSegment[]>;
  /**
   * Score-grid cell counts of live events per five-minute strip of `span` (a span of whole strips, over by `at`):
   * the score drift's sequential test's input. Segments without an event in [0, 1] in the span are left out.
   */
  scoreStrips(span: TimeWindow, models: string[], at: Date, heldOut?: readonly HeldOut[]): Promise<ScoreStrips[]>;
  quality(windows: QualityWindows, models: string[], at: Date): Promise<QualityCounts[]>;
  /**
   * Orphan outcomes (queries/orphan_outcomes.sql) summed over the complete outcome hours inside `current`
   * (`orphanHours`): an hour still in progress may hold outcomes whose events have not landed yet.
   */
  orphanOutcomes(current: TimeWindow): Promise<number>;
  /** Every shadow version vs live on shared transactions; segment rows follow their model's whole-model row. */
  shadow(windows: { current: TimeWindow; matured: { current: TimeWindow } }, models: string[], options: ShadowOptions, at: Date): Promise<ShadowSegment[]>;
}

/** A label segment as a read path returns it: the seam adds the minVolume verdict. */
export type LabelCounts = Omit<LabelSegment, 'enough'>;

/**
 * One read path (raw tables or rollup) behind the seam: the same questions, answered every time they are asked.
 * `cycle` is the cycle's source, for an answer built on another question's (asked through it, so shared).
 */
export interface ReadPath {
  /** Every model × live version in the windows and the recent window (`recentWindow`). */
  versions(windows: WindowPair): Promise<LiveVersion[]>;
  arms(span: TimeWindow, models: string[], versions: string[], at: Date): Promise<ArmSegment[]>;
  served(model: string, version: string, within: TimeWindow): Promise<Served>;
  /** Per current window of the set, in its order. */
  scoreBins(windows: WindowSet, models: string[], options: ScoreBinOptions, heldOut: readonly HeldOut[]): Promise<BinnedSegment[][]>;
  learnFeatureEdges(reference: TimeWindow, models: string[], features: string[]): Promise<FeatureEdges[]>;
  featureBins(windows: WindowPair, edges: FeatureEdges[]): Promise<BinnedSegment[]>;
  /** Per matured current window of the set, in its order. */
  labels(matured: WindowSet, models: string[], calibrationBins: number, at: Date, heldOut: readonly HeldOut[]): Promise<LabelCounts[][]>;
  labelStrips(span: TimeWindow, models: string[], at: Date, heldOut: readonly HeldOut[]): Promise<LabelStrips[]>;
  /** Per matured current window of the set, in its order; segments under the reference's minVolume left out. */
  performance(matured: WindowSet, models: string[], at: Date, heldOut: readonly HeldOut[]): Promise<PerformanceSegment[][]>;
  scoreStrips(span: TimeWindow, models: string[], at: Date, heldOut: readonly HeldOut[]): Promise<ScoreStrips[]>;
  quality(windows: QualityWindows, models: string[], at: Date, cycle: AggregateSource): Promise<QualityCounts[]>;
  orphanOutcomes(current: TimeWindow): Promise<number>;
  shadow(current: TimeWindow, matured: TimeWindow, models: string[], options: ShadowOptions, at: Date): Promise<ShadowSegment[]>;
}
