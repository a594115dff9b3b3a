// The raw read path: aggregates computed straight from the scoring events and outcomes tables, one query per question.
import type { Config } from '../config/index.js';
import type { TimeWindow } from '../core/types.js';
import { chTime, type QueryParams, type Store } from '../store/index.js';
import { OUTCOME_SKEW_MS, STRIP_MS, completeHours, orphanLookbackMs, recentWindow, type Piece } from './pieces.js';
import { FUTURE_TOLERANCE_MS, armParams, byArm, byModelAndSegment, servedOf, toArm, toLiveVersion, type ArmRow, type VersionRow, emptyLabels, emptyPerformance, shadowParams, toBinned, toLabels, toPerformance, toQualityCounts, toShadow, type BinRow, type LabelRow, type PerformanceRow, type ShadowRow } from './rows.js';
import { featureBinParams } from './feature-bins.js';
import { shadowPairsSql, shadowPresentSql } from './shadow-pairs.js';
import { heldOutParams, piecesPredicate, selectQuery } from './sql.js';
import type { BinnedSegment, FeatureEdges, LabelCounts, LabelStrips, PerformanceSegment, ReadPath, ScoreStrips, WindowPair } from './types.js';
import { hasVolume, volumeParams, volumeRule } from './volume.js';

/** A window with nothing in it, at `at`: the side of a two-window query that is not asked. */
const emptyAt = (at: Date): TimeWindow => ({ from: at, to: at });

function windowParams({ reference, current }: WindowPair) {
  return { ref_from: chTime(reference.from), ref_to: chTime(reference.to), cur_from: chTime(current.from), cur_to: chTime(current.to) };
}

/** The raw path, and what the rollup path takes from it for the pieces of its windows the rollup does not hold. */
export interface RawReads extends ReadPath {
  /** queries/orphan_outcomes.sql summed over whole-hour pieces of outcome time, one query per piece, as of `at`. */
  orphansOver(pieces: readonly Piece[], at: Date): Promise<number>;
}

export function rawReads(store: Store, config: Config): RawReads {
  const orphansOver = async (pieces: readonly Piece[], at: Date): Promise<number> => {
    let orphans = 0;
    for (const piece of pieces) {
      if (piece.to <= piece.from) continue;
      const rows = await selectQuery<{ orphans: number }>(store, config, 'orphan_outcomes', {
        from: chTime(piece.from),
        to: chTime(piece.to),
        lookback_ms: orphanLookbackMs(config.windows.maturity),
        at: chTime(at),
      });
      for (const row of rows) orphans += Number(row.orphans);
    }
    return orphans;
  };

  return {
    orphansOver,

    async versions(windows) {
      const recent = recentWindow(windows.current);
      const rows = await selectQuery<VersionRow>(store, config, 'models', { ...windowParams(windows), recent_from: chTime(recent.from), recent_to: chTime(recent.to) });
      return rows.map(toLiveVersion);
    },

    async arms(span, models, versions, at) {
      if (models.length === 0 || versions.length === 0 || span.to <= span.from) return [];
      const params = armParams(span, models, versions, config.monitors.calibration.bins, at);
      const pieces = { span: piecesPredicate('event_time', [{ from: span.from.getTime(), to: span.to.getTime() }], 'span_p', params) };
      return byArm((await selectQuery<ArmRow>(store, config, 'experiment_labels', params, pieces)).map(toArm));
    },

    served: (model, version, within) => servedOf(store, config, model, version, within),

    async scoreBins({ reference, currents }, models, options, heldOut) {
      // psi_score.sql bins by the reference's quantiles in the query itself: one query per current window.
      const out: BinnedSegment[][] = [];
      for (const current of currents) {
        const rows = await selectQuery<BinRow>(store, config, 'psi_score', {
          ...windowParams({ reference, current }),
          models,
          ...heldOutParams(heldOut),
          bins: options.bins,
          fixed_bins: options.cellBins,
          ...volumeParams(volumeRule(config, reference)),
        });
        out.push(rows.map((row) => toBinned(row, 'score')));
      }
      return out;
    },

    async learnFeatureEdges(reference, models, features) {
      if (features.length === 0 || models.length === 0) return [];
      const window = { ref_from: chTime(reference.from), ref_to: chTime(reference.to), models };
      const numeric = features.filter((f) => !config.featureColumns.includes(f));
      const categorical = features.filter((f) => config.featureColumns.includes(f));
      const edges =
        numeric.length === 0 ? [] : await selectQuery<{ model: string; feature: string; edges: number[] }>(store, config, 'feature_edges', { ...window, features: numeric });
      const categories =
        categorical.length === 0
          ? []
          : await selectQuery<{ model: string; feature: string; categories: string[]; distinct_values: number | string }>(store, config, 'feature_categories', {
              ...window,
              features: categorical,
              max_categories: config.monitors.psi.maxCategories,
            });
      return [
        ...edges.map((r): FeatureEdges => ({ model: r.model, feature: r.feature, edges: r.edges.map(Number), categories: [] })),
        ...categories.map((r): FeatureEdges => ({ model: r.model, feature: r.feature, edges: [], categories: r.categories, distinct: Number(r.distinct_values) })),
      ];
    },

    async featureBins(windows, edges) {
      if (edges.length === 0) return [];
      const rows = await selectQuery<BinRow & { feature: string }>(store, config, 'psi_feature', {
        ...windowParams(windows),
        ...featureBinParams(edges),
        ...volumeParams(volumeRule(config, windows.reference)),
      });
      return rows.map((row) => toBinned(row, row.feature));
    },

    async labels({ reference, currents }, models, calibrationBins, at, heldOut) {
      // One side at a time (the other window empty): the reference, shared by every current window, is read once.
      const side = (pair: WindowPair) => selectQuery<LabelRow>(store, config, 'labels', { ...windowParams(pair), models, ...heldOutParams(heldOut), cal_bins: calibrationBins, at: chTime(at), skew_ms: OUTCOME_SKEW_MS });
      const referenceRows = await side({ reference, current: emptyAt(reference.from) });
      const out: LabelCounts[][] = [];
      for (const current of currents) {
        const currentRows = await side({ reference: emptyAt(current.from), current });
        const bySegment = new Map<string, LabelCounts>();
        for (const row of [...referenceRows, ...currentRows]) {
          const key = JSON.stringify([row.model, row.segment]);
          let entry = bySegment.get(key);
          if (!entry) {
            entry = { model: row.model, segment: row.segment, reference: emptyLabels(calibrationBins), current: emptyLabels(calibrationBins) };
            bySegment.set(key, entry);
          }
          entry[row.window] = toLabels(row);
        }
        out.push([...bySegment.values()]);
      }
      return out;
    },

    async performance({ reference, currents }, models, at, heldOut) {
      // As labels: one side at a time, the reference read once for every current window.
      const side = (pair: WindowPair) => selectQuery<PerformanceRow>(store, config, 'performance', { ...windowParams(pair), models, ...heldOutParams(heldOut), at: chTime(at), skew_ms: OUTCOME_SKEW_MS });
      const referenceRows = await side({ reference, current: emptyAt(reference.from) });
      const rule = volumeRule(config, reference);
      const out: PerformanceSegment[][] = [];
      for (const current of currents) {
        const bySegment = new Map<string, PerformanceSegment>();
        for (const row of [...referenceRows, ...(await side({ reference: emptyAt(current.from), current }))]) {
          const key = JSON.stringify([row.model, row.segment]);
          let entry = bySegment.get(key);
          if (!entry) {
            entry = { model: row.model, segment: row.segment, reference: emptyPerformance(), current: emptyPerformance() };
            bySegment.set(key, entry);
          }
          entry[row.window] = toPerformance(row);
        }
        out.push(byModelAndSegment([...bySegment.values()].filter((s) => hasVolume(rule, s.reference.labeled, s.current.labeled))));
      }
      return out;
    },

    async labelStrips(span, models, at, heldOut) {
      const strips = Math.round((span.to.getTime() - span.from.getTime()) / STRIP_MS);
      const rows = await selectQuery<{ model: string; segment: string[]; backs: number[]; labeled: number[]; approved: number[] }>(store, config, 'label_strips', {
        from: chTime(span.from),
        to: chTime(span.to),
        models,
        ...heldOutParams(heldOut),
        at: chTime(at),
        skew_ms: OUTCOME_SKEW_MS,
      });
      return rows.map((row): LabelStrips => {
        const labeled = new Array<number>(strips).fill(0);
        const approved = new Array<number>(strips).fill(0);
        row.backs.forEach((back, i) => {
          labeled[strips - 1 - Number(back)] = Number(row.labeled[i]);
          approved[strips - 1 - Number(back)] = Number(row.approved[i]);
        });
        return { model: row.model, segment: row.segment, labeled, approved };
      });
    },

    async scoreStrips(span, models, _at, heldOut) {
      const strips = Math.round((span.to.getTime() - span.from.getTime()) / STRIP_MS);
      const rows = await selectQuery<{ model: string; segment: string[]; backs: number[]; cells: number[][]; counts: number[][] }>(store, config, 'score_strips', {
        from: chTime(span.from),
        to: chTime(span.to),
        models,
        ...heldOutParams(heldOut),
      });
      return rows.map((row): ScoreStrips => {
        const out: ScoreStrips['strips'] = Array.from({ length: strips }, () => ({ cells: [], counts: [] }));
        row.backs.forEach((back, i) => (out[strips - 1 - Number(back)] = { cells: (row.cells[i] ?? []).map(Number), counts: (row.counts[i] ?? []).map(Number) }));
        return { model: row.model, segment: row.segment, strips: out };
      });
    },

    async quality(windows, models, at) {
      const rows = await selectQuery<Record<string, number | string>>(store, config, 'quality', {
        ...windowParams(windows),
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
    orphanOutcomes: (current: TimeWindow) => orphansOver([completeHours(current)], current.to),

    async shadow(current, matured, models, options, at) {
      const params = shadowParams(config, models, options);
      const piece = (w: TimeWindow) => [{ from: w.from.getTime(), to: w.to.getTime() }];
      // No shadow row a pair could have: the comparison would return no row (shadow_present.sql).
      const present: QueryParams = { models };
      if ((await store.select(shadowPresentSql(config, piece(current), piece(matured), present), present, 'shadow_present')).length === 0) return [];
      const partials = shadowPairsSql(config, piece(current), piece(matured), at.getTime(), params);
      return (await selectQuery<ShadowRow>(store, config, 'shadow_compare', params, { partials })).map((row) => toShadow(row, options.calibrationBins));
    },
  };
}
