// Aggregates computed straight from the scoring events and outcomes tables (one query per question).
import type { Config } from '../config/index.js';
import type { TimeWindow } from '../monitors/types.js';
import { chTime, runQuery, type Store } from '../store/index.js';
import type { AggregateSource, BinnedSegment, FeatureEdges, LabelSegment, QualityCounts, ScoreBinOptions, WindowLabels } from './types.js';

/** Events stamped further than this past `at` count as clock skew. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

function windowParams(reference: TimeWindow, current: TimeWindow) {
  return { ref_from: chTime(reference.from), ref_to: chTime(reference.to), cur_from: chTime(current.from), cur_to: chTime(current.to) };
}

interface BinRow {
  model: string;
  feature?: string;
  segment: string[];
  n_ref: number;
  n_cur: number;
  ref_bins: number[];
  cur_bins: number[];
}

function toBinned(row: BinRow, feature: string): BinnedSegment {
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
        maturity_ms: config.windows.maturity,
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
        maturity_ms: config.windows.maturity,
      });
      return rows.map(
        (r): QualityCounts => ({
          model: String(r.model),
          rows: Number(r.rows),
          nanScores: Number(r.nan_scores),
          infScores: Number(r.inf_scores),
          outOfRange: Number(r.out_of_range),
          duplicates: Number(r.duplicates),
          futureEvents: Number(r.future_events),
          referenceRows: Number(r.reference_rows),
          matureEvents: Number(r.mature_events),
          missingOutcomes: Number(r.missing_outcomes),
        }),
      );
    },
  };
}
