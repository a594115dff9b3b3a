// Aggregates computed straight from the scoring events and outcomes tables (one query per question).
import type { Config } from '../config/index.js';
import type { TimeWindow } from '../monitors/types.js';
import { OUTCOME_SKEW_MS, completeHours, orphanLookbackMs, type Piece } from '../rollup/plan.js';
import { shadowPairsSql } from '../rollup/shadow.js';
import { selectRollup } from '../rollup/sql.js';
import { chTime, runQuery, type QueryParams, type Store } from '../store/index.js';
import type {
  AggregateSource,
  CalibrationBinSums,
  FeatureEdges,
  LabelSegment,
  LatencyQuantiles,
  ScoreBinOptions,
  ShadowOptions,
  ShadowSegment,
  WindowLabels,
} from './types.js';
import { FUTURE_TOLERANCE_MS, toBinned, toQualityCounts, type BinRow } from './rows.js';

function windowParams(reference: TimeWindow, current: TimeWindow) {
  return { ref_from: chTime(reference.from), ref_to: chTime(reference.to), cur_from: chTime(current.from), cur_to: chTime(current.to) };
}

/** queries/orphan_outcomes.sql summed over whole-hour pieces of outcome time, one query per piece. */
export async function rawOrphanOutcomes(store: Store, config: Config, pieces: readonly Piece[], at: Date): Promise<number> {
  let orphans = 0;
  for (const piece of pieces) {
    if (piece.to <= piece.from) continue;
    const rows = await runQuery<{ orphans: number }>(store, config, 'orphan_outcomes', {
      from: chTime(piece.from),
      to: chTime(piece.to),
      lookback_ms: orphanLookbackMs(config.windows.maturity),
      at: chTime(at),
    });
    for (const row of rows) orphans += Number(row.orphans);
  }
  return orphans;
}

interface LabelRow {
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

function emptyLabels(bins: number): WindowLabels {
  return { events: 0, labeled: 0, approved: 0, calibration: Array.from({ length: bins }, () => ({ count: 0, sumScore: 0, sumLabel: 0, sumSquaredError: 0 })) };
}

function toLabels(row: LabelRow): WindowLabels {
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

type CalibrationColumns = { [column in `cal_${'live' | 'shadow'}_${'bins' | 'count' | 'score' | 'label' | 'sq_error'}`]: number[] };

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

/** Cells per score of the joint histogram of queries/shadow_compare.sql (keys are live cell · this + shadow cell). */
const SHADOW_GRID_CELLS = 1024;

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
      live: Math.floor(Number(key) / SHADOW_GRID_CELLS),
      shadow: Number(key) % SHADOW_GRID_CELLS,
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

/** shadow_compare.sql's parameters but the pieces'. */
export function shadowParams(models: string[], options: ShadowOptions): QueryParams {
  return {
    models,
    cal_bins: options.calibrationBins,
    min_volume: options.minVolume,
    seg_min_labeled: options.segmentMinLabeled,
    seg_min_minority: options.segmentMinMinority,
  };
}

export function rawSource(store: Store, config: Config): AggregateSource {
  return {
    async models(windows) {
      const rows = await runQuery<{ model: string }>(store, config, 'models', windowParams(windows.reference, windows.current));
      return rows.map((r) => r.model);
    },

    async scoreBins(windows, models, options: ScoreBinOptions) {
      const rows = await runQuery<BinRow>(store, config, 'psi_score', {
        ...windowParams(windows.reference, windows.current),
        models,
        bins: options.bins,
        fixed_bins: options.cellBins,
        min_volume: options.minVolume,
      });
      return rows.map((row) => toBinned(row, 'score'));
    },

    async learnFeatureEdges(reference, models, features) {
      if (features.length === 0 || models.length === 0) return [];
      const rows = await runQuery<{ model: string; feature: string; edges: number[] }>(store, config, 'feature_edges', {
        ref_from: chTime(reference.from),
        ref_to: chTime(reference.to),
        models,
        features,
      });
      return rows.map((r): FeatureEdges => ({ model: r.model, feature: r.feature, edges: r.edges.map(Number) }));
    },

    async featureBins(windows, edges, minVolume) {
      if (edges.length === 0) return [];
      const rows = await runQuery<BinRow & { feature: string }>(store, config, 'psi_feature', {
        ...windowParams(windows.reference, windows.current),
        edge_models: edges.map((e) => e.model),
        edge_features: edges.map((e) => e.feature),
        edges: edges.map((e) => e.edges),
        min_volume: minVolume,
      });
      return rows.map((row) => toBinned(row, row.feature));
    },

    async labels(windows, models, calibrationBins, at) {
      const rows = await runQuery<LabelRow>(store, config, 'labels', {
        ...windowParams(windows.matured.reference, windows.matured.current),
        models,
        cal_bins: calibrationBins,
        at: chTime(at),
        skew_ms: OUTCOME_SKEW_MS,
      });
      const bySegment = new Map<string, LabelSegment>();
      for (const row of rows) {
        const key = JSON.stringify([row.model, row.segment]);
        let entry = bySegment.get(key);
        if (!entry) {
          entry = { model: row.model, segment: row.segment, reference: emptyLabels(calibrationBins), current: emptyLabels(calibrationBins) };
          bySegment.set(key, entry);
        }
        entry[row.window] = toLabels(row);
      }
      return [...bySegment.values()];
    },

    async quality(windows, models, at) {
      const rows = await runQuery<Record<string, number | string>>(store, config, 'quality', {
        ...windowParams(windows.reference, windows.current),
        mat_from: chTime(windows.matured.current.from),
        mat_to: chTime(windows.matured.current.to),
        future: chTime(at.getTime() + FUTURE_TOLERANCE_MS),
        models,
        at: chTime(at),
        skew_ms: OUTCOME_SKEW_MS,
      });
      return rows.map((r) => toQualityCounts(r));
    },

    // As of the current window's end (`at`, for the usual windows).
    orphanOutcomes: (current) => rawOrphanOutcomes(store, config, [completeHours(current)], current.to),

    async shadow(windows, models, options, at) {
      const params = shadowParams(models, options);
      const piece = (w: TimeWindow) => [{ from: w.from.getTime(), to: w.to.getTime() }];
      const partials = shadowPairsSql(config, piece(windows.current), piece(windows.matured.current), at.getTime(), params);
      return (await selectRollup<ShadowRow>(store, config, 'shadow_compare', params, { partials })).map((row) => toShadow(row, options.calibrationBins));
    },
  };
}
