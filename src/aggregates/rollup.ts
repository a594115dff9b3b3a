// Aggregates served by driftwatch's rollup: folded full hours from the rollup tables, the rest of each window from the raw tables.
import type { Config } from '../config/index.js';
import type { CycleWindows, TimeWindow } from '../monitors/types.js';
import { eventsFingerprint, featuresFingerprint, labelsFingerprint, orphansFingerprint, shadowFingerprint, type RollupKind } from '../rollup/fingerprint.js';
import { loadLedger, usableAt, type Ledger } from '../rollup/ledger.js';
import { OPEN_END_MS, completeHours, planRange, planWindow, type Piece, type WindowPlan } from '../rollup/plan.js';
import { qualityRaw } from '../rollup/raw-reads.js';
import type { SumsDelta } from '../rollup/window-sums.js';
import { labelsFromSums, scoreBinsFromSums, sharedCaches, type ReadContext } from '../rollup/cached-reads.js';
import { ensureRollupTables } from '../rollup/schema.js';
import { shadowPairsSql } from '../rollup/shadow.js';
import { chSecond, foldedParams, piecesPredicate, rollupSql, selectRollup } from '../rollup/sql.js';
import type { QueryParams, Store } from '../store/index.js';
import { rawOrphanOutcomes, rawSource, shadowParams, toShadow, type ShadowRow } from './raw.js';
import type { AggregateSource, FeatureEdges, LabelSegment } from './types.js';
import { FUTURE_TOLERANCE_MS, toBinned, toQualityCounts, type BinRow } from './rows.js';

/** Hour columns are DateTime (to 2106): an open end is capped here. */
const LAST_HOUR_MS = Date.UTC(2100, 0, 1);

interface Planned {
  params: QueryParams;
  pieces: Record<string, string>;
}

/** Hour ranges, folded (hour, version) pairs and raw-piece predicates of named windows, as query parameters. */
function planWindows(ledger: Ledger, windows: Record<string, TimeWindow | WindowPlan>, column = 'event_time', folded = 'folded'): Planned & { plans: Record<string, WindowPlan> } {
  const hours = new Set(ledger.keys());
  const params: QueryParams = {};
  const pieces: Record<string, string> = {};
  const plans: Record<string, WindowPlan> = {};
  const used: number[] = [];
  for (const [name, w] of Object.entries(windows)) {
    const plan = 'raw' in w ? w : planWindow(w, hours);
    plans[name] = plan;
    params[`${name}_hour_from`] = chSecond(plan.hourFrom);
    params[`${name}_hour_to`] = chSecond(Math.min(plan.hourTo, LAST_HOUR_MS));
    pieces[name] = piecesPredicate(column, plan.raw, `${name}_p`, params);
    used.push(...plan.hours);
  }
  foldedParams(folded, ledger, [...new Set(used)], params);
  return { params, pieces, plans };
}

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
 * The rollup-backed source. It reads whatever the ledger says is folded and takes everything else from the raw
 * tables, so it is correct with a stale or empty rollup too (only slower): call refreshRollup before a cycle.
 * Score bins and label sums are kept between cycles as running window sums (per store, for the life of the
 * process), so a cycle reads only the hours that entered or left its windows, plus the raw pieces.
 */
export function rollupSource(store: Store, config: Config): AggregateSource {
  const raw = rawSource(store, config);
  const context: ReadContext = { store, config, caches: sharedCaches(store) };
  const ledger = async (kind: RollupKind, fingerprint: string): Promise<Ledger> => {
    await ensureRollupTables(store, config);
    return loadLedger(store, config, kind, fingerprint);
  };
  // The label sums a cycle's calibration and approval asked for, handed once to its quality (which runs after
  // them and needs the same windows): one raw read of the matured pieces per cycle instead of two.
  let handed: { key: string; sums: Promise<LabelSegment[]> } | undefined;
  const keyOf = (windows: CycleWindows, models: string[], at: Date) => JSON.stringify([windows.matured, models, at]);
  const labelSums = async (windows: CycleWindows, models: string[], at: Date): Promise<LabelSegment[]> =>
    labelsFromSums(context, usableAt(await ledger('labels', labelsFingerprint(config)), at), windows, models, config.monitors.calibration.bins, at);
  const takeLabelSums = (windows: CycleWindows, models: string[], at: Date): Promise<LabelSegment[]> => {
    const mine = handed?.key === keyOf(windows, models, at) ? handed.sums : undefined;
    handed = undefined;
    return mine ?? labelSums(windows, models, at);
  };
  return {
    async models(windows: CycleWindows) {
      const { params, pieces } = planWindows(await ledger('events', eventsFingerprint(config)), { ref: windows.reference, cur: windows.current });
      const rows = await selectRollup<{ model: string }>(store, config, 'rollup_models', params, pieces);
      return rows.map((r) => r.model);
    },

    async scoreBins(windows, models, options) {
      return scoreBinsFromSums(context, await ledger('events', eventsFingerprint(config)), windows, models, options);
    },

    learnFeatureEdges: (reference, models, features) => raw.learnFeatureEdges(reference, models, features),

    async shadow(windows, models, options, at) {
      if (options.calibrationBins !== config.monitors.calibration.bins) return raw.shadow(windows, models, options, at);
      // Folded matured hours (each side from the hours inside its window) plus the raw pieces' pairs: the hours
      // not matured yet at the current window's end, and the partial hours at the edges.
      const folded = usableAt(await ledger('shadow', shadowFingerprint(config)), at);
      const { params, plans } = planWindows(folded, { cur: windows.current, mat: windows.matured.current });
      Object.assign(params, shadowParams(models, options));
      const pairs = shadowPairsSql(config, (plans.cur as WindowPlan).raw, (plans.mat as WindowPlan).raw, at.getTime(), params);
      const partials = `SELECT * FROM (${rollupSql('rollup_shadow', config)}) UNION ALL SELECT * EXCEPT (hour) FROM (${pairs})`;
      return (await selectRollup<ShadowRow>(store, config, 'shadow_compare', params, { partials })).map((row) => toShadow(row, options.calibrationBins));
    },

    async featureBins(windows, edges: FeatureEdges[], minVolume) {
      if (edges.length === 0) return [];
      // Edges other than the ones folded give another fingerprint, hence an empty ledger: all raw, still right.
      const { params, pieces } = planWindows(await ledger('features', featuresFingerprint(config, edges)), { ref: windows.reference, cur: windows.current });
      const rows = await selectRollup<BinRow & { feature: string }>(
        store,
        config,
        'rollup_psi_feature',
        { ...params, edge_models: edges.map((e) => e.model), edge_features: edges.map((e) => e.feature), edges: edges.map((e) => e.edges), min_volume: minVolume },
        pieces,
      );
      return rows.map((row) => toBinned(row, row.feature));
    },

    labels(windows, models, calibrationBins, at) {
      if (calibrationBins !== config.monitors.calibration.bins) return raw.labels(windows, models, calibrationBins, at);
      const sums = labelSums(windows, models, at);
      handed = { key: keyOf(windows, models, at), sums };
      return sums;
    },

    async orphanOutcomes(current) {
      const hours = completeHours(current);
      const folded = usableAt(await ledger('orphans', orphansFingerprint(config)), current.to);
      const plan = planRange(hours.from, hours.to, new Set(folded.keys()));
      const params: QueryParams = { hour_from: chSecond(plan.hourFrom), hour_to: chSecond(plan.hourTo) };
      foldedParams('folded', folded, plan.hours, params);
      const [sum] = await selectRollup<{ orphans: number }>(store, config, 'rollup_orphans', params);
      return Number(sum?.orphans ?? 0) + (await rawOrphanOutcomes(store, config, plan.raw, current.to));
    },

    async quality(windows, models, at) {
      const events = await ledger('events', eventsFingerprint(config));
      const future = planRange(at.getTime() + FUTURE_TOLERANCE_MS, OPEN_END_MS, new Set(events.keys()));
      const { params, pieces, plans } = planWindows(events, { cur: windows.current, ref: windows.reference, future });
      const [rows, rawPieces] = await Promise.all([
        selectRollup<Record<string, number | string>>(store, config, 'rollup_quality', { ...params, models }, pieces),
        qualityRaw(store, config, [plans.cur as WindowPlan, plans.ref as WindowPlan, plans.future as WindowPlan].map((p) => p.raw) as [Piece[], Piece[], Piece[]], models, at),
      ]);
      // quality.sql's mature events and missing outcomes are labels.sql's events and events − labeled over the
      // matured current window: the label sums of this cycle already hold them.
      const mature = new Map<string, { events: number; missing: number }>();
      for (const s of await takeLabelSums(windows, models, at)) {
        const m = mature.get(s.model) ?? { events: 0, missing: 0 };
        m.events += s.current.events;
        m.missing += s.current.events - s.current.labeled;
        mature.set(s.model, m);
      }
      return withRawQuality(rows, rawPieces).map((r) => toQualityCounts(r, mature.get(String(r.model)) ?? { events: 0, missing: 0 }));
    },
  };
}
