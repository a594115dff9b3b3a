// The rollup read path: folded full hours from the rollup tables, the rest of each window from the raw tables.
import type { Config } from '../config/index.js';
import { labelsFromSums, performanceFromSums, scoreBinsFromSums, type LabelsRawBySegment, type RawBySegment } from '../rollup/cached-reads.js';
import { labelStripsRaw, qualityRaw, scoreStripsRaw, type ReadContext } from '../rollup/raw-reads.js';
import { planRange, planWindows, type WindowPlan } from '../rollup/plan.js';
import type { RollupState } from '../rollup/state.js';
import type { SumsDelta } from '../rollup/window-sums.js';
import type { QueryParams, Store } from '../store/index.js';
import { featureBinParams } from './feature-bins.js';
import { OPEN_END_MS, completeHours, recentWindow, type Piece } from './pieces.js';
import type { RawReads } from './raw.js';
import { FUTURE_TOLERANCE_MS, armParams, byArm, servedOf, shadowParams, toArm, toBinned, toLiveVersion, toQualityCounts, toShadow, type ArmRow, type BinRow, type ShadowRow, type VersionRow } from './rows.js';
import { shadowPairsSql, shadowPresentSql } from './shadow-pairs.js';
import { chSecond, foldedParams, piecesPredicate, querySql, selectQuery } from './sql.js';
import type { ReadPath } from './types.js';
import { hasVolume, volumeParams, volumeRule } from './volume.js';

/** rollup_quality_raw.sql's vector [rows, NaN, ±Inf, out of range, duplicates] per window (current, reference, future). */
const RAW_QUALITY: Record<number, readonly string[]> = {
  0: ['rows', 'nan_scores', 'inf_scores', 'out_of_range', 'duplicates'],
  1: ['reference_rows'],
  2: ['future_events'],
};

/** The folded hours' quality rows plus the raw pieces' counts, per model (a model only the raw pieces have gets a row). */
function withRawQuality(rows: Record<string, number | string>[], raw: SumsDelta[]): Record<string, number | string>[] {
  const byModel = new Map<string, Record<string, number | string>>();
  for (const r of rows) byModel.set(String(r.model), { ...r });
  for (const d of raw) {
    let row = byModel.get(d.model);
    if (!row) {
      row = { model: d.model, rows: 0, nan_scores: 0, inf_scores: 0, out_of_range: 0, duplicates: 0, future_events: 0, reference_rows: 0 };
      byModel.set(d.model, row);
    }
    const target = row;
    (RAW_QUALITY[d.window] ?? []).forEach((column, i) => (target[column] = Number(target[column] ?? 0) + Number(d.values[i] ?? 0)));
  }
  return [...byModel.values()].sort((a, b) => (String(a.model) < String(b.model) ? -1 : String(a.model) > String(b.model) ? 1 : 0));
}

/**
 * The rollup path. It reads whatever the ledger says is folded and takes everything else from the raw tables, so
 * it is right with a stale or empty rollup too (only slower): refreshRollup before a cycle. Score bins and label
 * sums come from the running window sums `state` keeps between cycles, so a cycle reads only the hours that
 * entered or left its windows, plus the raw pieces. Questions it does not fold (calibration bins other than the
 * configured ones) go to `raw`.
 */
export function rollupReads(store: Store, config: Config, state: RollupState, raw: RawReads): ReadPath {
  const ctx: ReadContext = { store, config, state };
  const configuredBins = config.monitors.calibration.bins;
  /** This cycle's raw-piece reads of the score cells, shared by every binning of one window set. */
  const psiRawReads = new Map<string, Promise<RawBySegment>>();
  /** This cycle's raw-piece reads of the label strips, shared by the label and performance questions. */
  const labelRawReads = new Map<string, Promise<LabelsRawBySegment>>();
  return {
    async versions(windows) {
      const { params, pieces } = planWindows(await state.folded(store, config, 'events'), { ref: windows.reference, cur: windows.current, recent: recentWindow(windows.current) });
      const rows = await selectQuery<VersionRow>(store, config, 'rollup_models', params, pieces);
      return rows.map(toLiveVersion);
    },

    async arms(span, models, versions, at) {
      if (models.length === 0 || versions.length === 0 || span.to <= span.from) return [];
      // Folded label hours usable as of `at` from the rollup, the rest (the span's first, partial hour, the hours not
      // matured or folded yet) joined raw by experiment_labels.sql.
      const { params, pieces, plans } = planWindows(await state.folded(store, config, 'labels', { at }), { span });
      Object.assign(params, armParams(span, models, versions, configuredBins, at));
      const raw = querySql('experiment_labels', config, { span: piecesPredicate('event_time', (plans.span as WindowPlan).raw, 'raw_p', params) });
      return byArm((await selectQuery<ArmRow>(store, config, 'rollup_experiment', params, { ...pieces, raw })).map(toArm));
    },

    served: (model, version, within) => servedOf(store, config, model, version, within),

    async scoreBins(windows, models, options, heldOut) {
      const rule = volumeRule(config, windows.reference);
      return scoreBinsFromSums(ctx, await state.folded(store, config, 'events'), windows, { models, heldOut }, options, (nReference, nCurrent) => hasVolume(rule, nReference, nCurrent), psiRawReads);
    },

    learnFeatureEdges: (reference, models, features) => raw.learnFeatureEdges(reference, models, features),

    async featureBins(windows, edges) {
      if (edges.length === 0) return [];
      // Edges other than the ones folded give another fingerprint, hence an empty ledger: all raw, still right.
      const { params, pieces } = planWindows(await state.folded(store, config, 'features', { edges }), { ref: windows.reference, cur: windows.current });
      const edgeParams = featureBinParams(edges);
      const rows = await selectQuery<BinRow & { feature: string }>(store, config, 'rollup_psi_feature', { ...params, ...edgeParams, ...volumeParams(volumeRule(config, windows.reference)) }, pieces);
      return rows.map((row) => toBinned(row, row.feature));
    },

    // Five-minute strips of the last hours, through the strip cache the label windows' raw pieces use.
    labelStrips: (span, models, at, heldOut) => labelStripsRaw(ctx, span, { models, heldOut }, configuredBins, at),

    // Five-minute strips of the events, through the strip cache the PSI windows' raw pieces use.
    scoreStrips: (span, models, at, heldOut) => scoreStripsRaw(ctx, span, { models, heldOut }, at),

    async labels(matured, models, calibrationBins, at, heldOut) {
      if (calibrationBins !== configuredBins) return raw.labels(matured, models, calibrationBins, at, heldOut);
      return labelsFromSums(ctx, await state.folded(store, config, 'labels', { at }), matured, { models, heldOut }, calibrationBins, at, labelRawReads);
    },

    async performance(matured, models, at, heldOut) {
      const rule = volumeRule(config, matured.reference);
      return performanceFromSums(ctx, await state.folded(store, config, 'labels', { at }), matured, { models, heldOut }, at, (nReference, nCurrent) => hasVolume(rule, nReference, nCurrent), configuredBins, labelRawReads);
    },

    async quality(windows, models, at, cycle) {
      const events = await state.folded(store, config, 'events');
      const future = planRange(at.getTime() + FUTURE_TOLERANCE_MS, OPEN_END_MS, new Set(events.keys()));
      const { params, pieces, plans } = planWindows(events, { cur: windows.current, ref: windows.reference, future });
      const rawPieces = [plans.cur as WindowPlan, plans.ref as WindowPlan, plans.future as WindowPlan].map((p) => p.raw) as [Piece[], Piece[], Piece[]];
      const [rows, rawCounts] = await Promise.all([
        selectQuery<Record<string, number | string>>(store, config, 'rollup_quality', { ...params, models }, pieces),
        qualityRaw(ctx, rawPieces, models, at),
      ]);
      // quality.sql's mature events and missing outcomes are labels.sql's events and events − labeled over the
      // matured current window: the cycle's label sums (asked through the cycle's source, so read once) hold them.
      const mature = new Map<string, { events: number; missing: number }>();
      for (const s of await cycle.labels(windows, models, configuredBins, at)) {
        const m = mature.get(s.model) ?? { events: 0, missing: 0 };
        m.events += s.current.events;
        m.missing += s.current.events - s.current.labeled;
        mature.set(s.model, m);
      }
      return withRawQuality(rows, rawCounts).map((r) => toQualityCounts(r, mature.get(String(r.model)) ?? { events: 0, missing: 0 }));
    },

    async orphanOutcomes(current) {
      const hours = completeHours(current);
      const folded = await state.folded(store, config, 'orphans', { at: current.to });
      const plan = planRange(hours.from, hours.to, new Set(folded.keys()));
      const params: QueryParams = { hour_from: chSecond(plan.hourFrom), hour_to: chSecond(plan.hourTo) };
      foldedParams('folded', folded, plan.hours, params);
      const [sum] = await selectQuery<{ orphans: number }>(store, config, 'rollup_orphans', params);
      return Number(sum?.orphans ?? 0) + (await raw.orphansOver(plan.raw, current.to));
    },

    async shadow(current, matured, models, options, at) {
      if (options.calibrationBins !== configuredBins) return raw.shadow(current, matured, models, options, at);
      // Folded matured hours (each side from the hours inside its window) plus the raw pieces' pairs: the hours
      // not matured yet at the current window's end, and the partial hours at the edges.
      const folded = await state.folded(store, config, 'shadow', { at });
      const { params, plans } = planWindows(folded, { cur: current, mat: matured });
      // No folded shadow hour with a row and no shadow row a raw pair could have: no row to compare (shadow_present.sql).
      const rawPresent = shadowPresentSql(config, (plans.cur as WindowPlan).raw, (plans.mat as WindowPlan).raw, params);
      if ((await selectQuery(store, config, 'rollup_shadow_present', { ...params, models }, { raw: rawPresent })).length === 0) return [];
      Object.assign(params, shadowParams(config, models, options));
      const pairs = shadowPairsSql(config, (plans.cur as WindowPlan).raw, (plans.mat as WindowPlan).raw, at.getTime(), params);
      const partials = `SELECT * FROM (${querySql('rollup_shadow', config)}) UNION ALL SELECT * EXCEPT (hour) FROM (${pairs})`;
      return (await selectQuery<ShadowRow>(store, config, 'shadow_compare', params, { partials })).map((row) => toShadow(row, options.calibrationBins));
    },
  };
}
