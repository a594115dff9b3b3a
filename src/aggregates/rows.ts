// Rows as the aggregate queries return them, mapped to the seam's types: shared by the raw and rollup read paths.
import type { Config } from '../config/index.js';
import { chTime, type QueryParams, type Store } from '../store/index.js';
import { OUTCOME_SKEW_MS } from './pieces.js';
import { selectQuery } from './sql.js';
import { FINE_GRID_CELLS, SCORE_GRID_CELLS } from './grid.js';
import type { ArmSegment, BinnedSegment, CalibrationBinSums, LatencyQuantiles, LiveVersion, Served, PerformanceWindow, QualityCounts, ShadowOptions, ShadowSegment, WindowLabels } from './types.js';

/** Events stamped further than this past `at` count as clock skew. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface BinRow {
  model: string;
  feature?: string;
  segment: string[];
  n_ref: number;
  n_cur: number;
  ref_bins: number[];
  cur_bins: number[];
}

export function toBinned(row: BinRow, feature: string): BinnedSegment {
  return {
    model: row.model,
    feature,
    segment: row.segment,
    nReference: Number(row.n_ref),
    nCurrent: Number(row.n_cur),
    referenceBins: row.ref_bins.map(Number),
    currentBins: row.cur_bins.map(Number),
  };
}

/** A quality row; mature events and missing outcomes come from the row unless the caller has them already. */
export function toQualityCounts(r: Record<string, number | string>, mature?: { events: number; missing: number }): QualityCounts {
  return {
    model: String(r.model),
    rows: Number(r.rows),
    nanScores: Number(r.nan_scores),
    infScores: Number(r.inf_scores),
    outOfRange: Number(r.out_of_range),
    duplicates: Number(r.duplicates),
    futureEvents: Number(r.future_events),
    referenceRows: Number(r.reference_rows),
    matureEvents: mature ? mature.events : Number(r.mature_events),
    missingOutcomes: mature ? mature.missing : Number(r.missing_outcomes),
  };
}

/** A row of queries/labels.sql: one model × segment × window. */
export interface LabelRow {
  model: string;
  segment: string[];
  window: 'reference' | 'current';
  events: number;
  labeled: number;
  approved: number;
  cal_count: number[];
  cal_score: number[];
  cal_label: number[];
  cal_sq_error: number[];
}

export function emptyLabels(bins: number): WindowLabels {
  return { events: 0, labeled: 0, approved: 0, calibration: Array.from({ length: bins }, () => ({ count: 0, sumScore: 0, sumLabel: 0, sumSquaredError: 0 })) };
}

export function toLabels(row: LabelRow): WindowLabels {
  return {
    events: Number(row.events),
    labeled: Number(row.labeled),
    approved: Number(row.approved),
    calibration: row.cal_count.map((count, b) => ({
      count: Number(count),
      sumScore: Number(row.cal_score[b]),
      sumLabel: Number(row.cal_label[b]),
      sumSquaredError: Number(row.cal_sq_error[b]),
    })),
  };
}

/** A row of queries/performance.sql: one model × segment × window, cells sparse. */
export interface PerformanceRow {
  model: string;
  segment: string[];
  window: 'reference' | 'current';
  labeled: number;
  brier: number;
  log_loss: number;
  log_loss_sq: number;
  cells: number[];
  positives: number[];
  negatives: number[];
}

export function emptyPerformance(): PerformanceWindow {
  return { labeled: 0, positives: new Float64Array(SCORE_GRID_CELLS), negatives: new Float64Array(SCORE_GRID_CELLS), brier: 0, logLoss: 0, logLossSquares: 0 };
}

export function toPerformance(row: PerformanceRow): PerformanceWindow {
  const out = emptyPerformance();
  const positives = out.positives as Float64Array;
  const negatives = out.negatives as Float64Array;
  row.cells.forEach((cell, i) => {
    positives[Number(cell)] = Number(row.positives[i]);
    negatives[Number(cell)] = Number(row.negatives[i]);
  });
  return { ...out, labeled: Number(row.labeled), brier: Number(row.brier), logLoss: Number(row.log_loss), logLossSquares: Number(row.log_loss_sq) };
}

type CalibrationColumns = { [column in `cal_${'live' | 'shadow'}_${'bins' | 'count' | 'score' | 'label' | 'sq_error'}`]: number[] };

/** A row of queries/shadow_compare.sql. */
export interface ShadowRow extends CalibrationColumns {
  model: string;
  shadow_version: string;
  segment: string[];
  live_versions: string[];
  n_matched: number;
  n_scored: number;
  sum_score_delta: number;
  flip_keys: number[];
  flip_counts: number[];
  n_labeled: number;
  n_positive: number;
  hist_cells: number[];
  hist_current: number[];
  hist_positive: number[];
  hist_negative: number[];
  latency_live: (number | null)[];
  latency_shadow: (number | null)[];
  latency_live_n: number;
  latency_shadow_n: number;
}

/** Decision codes of queries/shadow_compare.sql: indexOf(['approve', 'decline', 'review'], decision). */
const DECISIONS = ['other', 'approve', 'decline', 'review'] as const;

function toFlips(row: ShadowRow): Record<string, Record<string, number>> {
  const counts = row.flip_keys.map((key, i) => ({ live: DECISIONS[Math.floor(Number(key) / 4)] as string, shadow: DECISIONS[Number(key) % 4] as string, n: Number(row.flip_counts[i]) }));
  // 'other' (a decision outside approve/decline/review) gets a row and column only when some transaction has one.
  const used = DECISIONS.filter((d) => d !== 'other' || counts.some((c) => c.n > 0 && (c.live === d || c.shadow === d)));
  const flips = Object.fromEntries(used.map((live) => [live, Object.fromEntries(used.map((shadow) => [shadow, 0]))]));
  for (const c of counts) if (flips[c.live] && c.shadow in (flips[c.live] as object)) (flips[c.live] as Record<string, number>)[c.shadow] = c.n;
  return flips;
}

/** Dense calibration bins from the query's sparse bin sums. */
function toCalibration(row: ShadowRow, side: 'live' | 'shadow', bins: number): CalibrationBinSums[] {
  const dense = Array.from({ length: bins }, () => ({ count: 0, sumScore: 0, sumLabel: 0, sumSquaredError: 0 }));
  row[`cal_${side}_bins`].forEach((bin, i) => {
    dense[Number(bin)] = {
      count: Number(row[`cal_${side}_count`][i]),
      sumScore: Number(row[`cal_${side}_score`][i]),
      sumLabel: Number(row[`cal_${side}_label`][i]),
      sumSquaredError: Number(row[`cal_${side}_sq_error`][i]),
    };
  });
  return dense;
}

export function toShadow(row: ShadowRow, calibrationBins: number): ShadowSegment {
  // ClickHouse writes the NaN quantiles of an empty set as null.
  const value = (v: number | null | undefined) => (v == null ? NaN : Number(v));
  const latency = (q: (number | null)[], n: number): LatencyQuantiles => ({ n: Number(n), p50: value(q[0]), p98: value(q[1]), p99: value(q[2]), p995: value(q[3]) });
  return {
    model: row.model,
    shadowVersion: row.shadow_version,
    segment: row.segment,
    liveVersions: [...row.live_versions].sort(),
    matched: Number(row.n_matched),
    scored: Number(row.n_scored),
    sumScoreDelta: Number(row.sum_score_delta),
    flips: toFlips(row),
    labeled: Number(row.n_labeled),
    positives: Number(row.n_positive),
    histogram: row.hist_cells.map((key, i) => ({
      live: Math.floor(Number(key) / FINE_GRID_CELLS),
      shadow: Number(key) % FINE_GRID_CELLS,
      current: Number(row.hist_current[i]),
      positive: Number(row.hist_positive[i]),
      negative: Number(row.hist_negative[i]),
    })),
    calibrationLive: toCalibration(row, 'live', calibrationBins),
    calibrationShadow: toCalibration(row, 'shadow', calibrationBins),
    latencyLive: latency(row.latency_live, row.latency_live_n),
    latencyShadow: latency(row.latency_shadow, row.latency_shadow_n),
  };
}

/** shadow_compare.sql's parameters but the pieces': segment rows need config.minVolume matched transactions. */
export function shadowParams(config: Config, models: string[], options: ShadowOptions): QueryParams {
  return {
    models,
    cal_bins: options.calibrationBins,
    min_volume: config.minVolume,
    seg_min_labeled: options.segmentMinLabeled,
    seg_min_minority: options.segmentMinMinority,
  };
}

/** ORDER BY model, segment as one string, compared as strings (NUL sorts first, as a shorter array does). */
export const sortKey = (model: string, segment: readonly string[]): string => `${model}\u0000${segment.join('\u0000')}`;

/** Sorts like ORDER BY model, segment: one joined key per item (sortKey). */
export function byModelAndSegment<T extends { model: string; segment: string[] }>(items: T[]): T[] {
  const keyed = items.map((item) => ({ item, key: sortKey(item.model, item.segment) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}

/** A row of queries/models.sql (or rollup_models.sql): one model × live version. */
export interface VersionRow {
  model: string;
  version: string;
  reference_events: number | string;
  current_events: number | string;
  recent_events: number | string;
  hours: (number | string)[];
}

export function toLiveVersion(row: VersionRow): LiveVersion {
  return {
    model: row.model,
    version: row.version,
    referenceEvents: Number(row.reference_events),
    currentEvents: Number(row.current_events),
    recentEvents: Number(row.recent_events),
    hours: row.hours.map((h) => Number(h) * 1000),
  };
}

/** A row of queries/experiment_labels.sql (or rollup_experiment.sql): one model × version × segment, cells sparse. */
export interface ArmRow extends Omit<LabelRow, 'window'> {
  arm: string;
  perf_cells: number[];
  perf_positive: (number | string)[];
  perf_negative: (number | string)[];
  decisions: (number | string)[];
  latency_cells: number[];
  latency_counts: (number | string)[];
}

export function toArm(row: ArmRow): ArmSegment {
  const labels = toLabels({ ...row, window: 'current' });
  const positives = new Float64Array(SCORE_GRID_CELLS);
  const negatives = new Float64Array(SCORE_GRID_CELLS);
  row.perf_cells.forEach((cell, i) => {
    positives[Number(cell)] = Number(row.perf_positive[i]);
    negatives[Number(cell)] = Number(row.perf_negative[i]);
  });
  const decisions = [0, 1, 2, 3].map((i) => Number(row.decisions[i] ?? 0));
  return { model: row.model, version: row.arm, segment: row.segment, ...labels, positives, negatives, decisions, latencyCells: row.latency_cells.map(Number), latencyCounts: row.latency_counts.map(Number) };
}

/** Arms in model, version, segment order: both paths answer alike whatever order the engine returned. */
export function byArm(arms: ArmSegment[]): ArmSegment[] {
  const key = (a: ArmSegment) => JSON.stringify([a.model, a.version, a.segment]);
  return arms.map((a) => [key(a), a] as const).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, a]) => a);
}

/** experiment_labels.sql's parameters (its raw pieces apart). */
export function armParams(span: { from: Date }, models: string[], versions: string[], calibrationBins: number, at: Date): QueryParams {
  return { models, versions, cal_bins: calibrationBins, at: chTime(at), span_from: chTime(span.from), skew_ms: OUTCOME_SKEW_MS };
}

/** queries/served.sql: the same on both paths (one version's events in a short window, read from the source). */
export async function servedOf(store: Store, config: Config, model: string, version: string, within: { from: Date; to: Date }): Promise<Served> {
  const [row] = await selectQuery<{ events: number | string; first: number | string }>(store, config, 'served', { model, version, from: chTime(within.from), to: chTime(within.to) });
  const events = Number(row?.events ?? 0);
  return events > 0 ? { events, first: Number(row?.first) } : { events: 0 };
}
